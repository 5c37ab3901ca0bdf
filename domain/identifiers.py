"""Identity numbers, credit codes and card numbers (DOMAIN.md "Identifiers").

Validation uses python-stdnum: ``cn.ric`` (GB 11643 公民身份号码), ``cn.uscc``
(GB 32100 统一社会信用代码) and ``luhn`` for bank cards.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import b32encode
from datetime import date

from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

CASE_ID_LENGTH = 20


class InvalidIdentifier(ValueError):
    """An identifier failed validation; the message can be shown by the field."""


def _reason(error: ValidationError, messages: dict[type[ValidationError], str]) -> str:
    for kind, message in messages.items():
        if isinstance(error, kind):
            return message
    return "is not valid"


def validate_national_id(value: str) -> str:
    """The 18-character resident identity number, stripped, with upper-case X."""
    if not isinstance(value, str):
        raise InvalidIdentifier("identity number must be text")
    try:
        return str(ric.validate(value.strip()))
    except ValidationError as e:
        reason = _reason(
            e,
            {
                InvalidLength: "must be 18 characters",
                InvalidFormat: "must be 17 digits followed by a digit or X",
                InvalidChecksum: "check digit does not match",
                InvalidComponent: "birth date or region code is not valid",
            },
        )
        raise InvalidIdentifier(f"identity number {reason}") from None


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
