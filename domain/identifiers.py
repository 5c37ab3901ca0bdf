"""Identity numbers, credit codes and card numbers (DOMAIN.md "Identifiers").

Validation uses python-stdnum: ``cn.ric``'s check digit and region table (GB 11643
公民身份号码), ``cn.uscc`` (GB 32100 统一社会信用代码) and ``luhn`` for bank cards.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import b32encode
from datetime import date
from typing import Literal

from stdnum import luhn, numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

CASE_ID_LENGTH = 20
_CHECK_CHARS = frozenset("0123456789X")


class InvalidIdentifier(ValueError):
    """An identifier failed validation; the message can be shown by the field."""


def _reason(error: ValidationError, messages: dict[type[ValidationError], str]) -> str:
    for kind, message in messages.items():
        if isinstance(error, kind):
            return message
    return "is not valid"


def _district(code: str) -> str | None:
    """The name of a province's prefecture or district ``code`` (6 digits) in python-stdnum's
    region table (cn/loc.dat, as ``stdnum.cn.ric`` reads it), in whichever year it existed;
    None when the table has no such province or no such code under it."""
    parts = numdb.get("cn/loc").info(code)
    if len(parts) != 2 or "province" not in parts[0][1] or "county" not in parts[1][1]:
        return None
    names = parts[1][1]["county"].split(",")  # "[1983-1994]二道河子区,[1995-]二道区"
    return names[-1].rpartition("]")[2]


def validate_national_id(value: str, *, today: date | None = None) -> str:
    """The 18-character resident identity number (GB 11643), stripped, with upper-case X.

    Checks the length, the form, the check digit (ISO 7064 MOD 11-2), a real birth date (not
    before 1900, not after ``today`` when given) and a province and prefecture or district
    code that python-stdnum's region table knows in any year. Numbers are issued by today's
    household-registration district, so a code is valid whatever the birth year
    (DOMAIN.md "Identifiers"); ``stdnum.cn.ric.validate`` refuses codes created after the
    birth year (most date from 1983) and is not used for that reason.
    """
    if not isinstance(value, str):
        raise InvalidIdentifier("identity number must be text")
    number = ric.compact(value)  # full-width digits to ASCII, upper-case, stripped
    if len(number) != 18:
        raise InvalidIdentifier(f"identity number must be 18 characters, not {len(number)}")
    if not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in _CHECK_CHARS:
        raise InvalidIdentifier("identity number must be 17 digits followed by a digit or X")
    if ric.calc_check_digit(number) != number[17]:
        raise InvalidIdentifier("identity number check digit does not match (a mistyped digit?)")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdentifier(
            f"identity number characters 7-14 ({number[6:14]}) are not a real birth date"
        ) from None
    if born.year < 1900:
        raise InvalidIdentifier(f"identity number birth date {born} is before 1900")
    if today is not None and born > today:
        raise InvalidIdentifier(f"identity number birth date {born} is in the future")
    if _district(number[:6]) is None:
        raise InvalidIdentifier(
            f"identity number characters 1-6 ({number[:6]}) are not a known province "
            "and prefecture or district code"
        )
    return number


def validate_uscc(value: str) -> str:
    """The 18-character unified social credit code, stripped and upper-case."""
    if not isinstance(value, str):
        raise InvalidIdentifier("credit code must be text")
    try:
        return str(uscc.validate(value.strip()))
    except ValidationError as e:
        reason = _reason(
            e,
            {
                InvalidLength: "must be 18 characters",
                InvalidFormat: "contains characters not allowed in a credit code",
                InvalidChecksum: "check character does not match",
            },
        )
        raise InvalidIdentifier(f"unified social credit code {reason}") from None


def validate_card_number(value: str) -> str:
    """A bank card number: 12-19 digits passing Luhn (spaces/hyphens dropped)."""
    if not isinstance(value, str):
        raise InvalidIdentifier("card number must be text")
    digits = value.replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit():
        raise InvalidIdentifier("card number must contain digits only")
    if not 12 <= len(digits) <= 19:
        raise InvalidIdentifier("card number must be 12 to 19 digits long")
    if not luhn.is_valid(digits):
        raise InvalidIdentifier("card number check digit does not match")
    return digits


def mask_national_id(value: str) -> str:
    """First 4 and last 4 characters, the rest as asterisks (2201**********123X)."""
    text = value.strip().upper()
    if len(text) < 12:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def birth_date_from_national_id(value: str) -> date:
    """The birth date encoded in a (valid) identity number."""
    return ric.get_birth_date(validate_national_id(value))


def sex_from_national_id(value: str) -> Literal["male", "female"]:
    """GB 11643: the 17th character (the order code's last digit) is odd for men."""
    return "male" if int(validate_national_id(value)[16]) % 2 else "female"


def case_id_for(national_id: str, separation_date: date, key: bytes) -> str:
    """A case ID that is stable for (person, separation) and reveals neither.

    HMAC-SHA256 under ``key`` over ``"<national id>|<ISO date>"``; the first 20
    characters of its lower-case base32 form (100 bits, URL-safe, no padding).
    """
    if not key:
        raise ValueError("case_id_for needs a non-empty key")
    message = f"{validate_national_id(national_id)}|{separation_date.isoformat()}"
    digest = hmac.new(key, message.encode("ascii"), hashlib.sha256).digest()
    return b32encode(digest).decode("ascii").lower()[:CASE_ID_LENGTH]
