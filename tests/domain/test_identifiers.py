"""Identifiers (DOMAIN.md "Identifiers": GB 11643, GB 32100, Luhn)."""

from datetime import date

import pytest
from stdnum.cn import ric

from domain.identifiers import (
    InvalidIdentifier,
    birth_date_from_national_id,
    case_id_for,
    mask_national_id,
    sex_from_national_id,
    validate_card_number,
    validate_national_id,
    validate_uscc,
)


def make_id(first17: str) -> str:
    """A checksum-valid identity number built with python-stdnum."""
    return first17 + ric.calc_check_digit(first17 + "0")


def _id_with_x() -> str:
    for order in range(100, 1000):
        candidate = make_id(f"22010219900307{order}")
        if candidate.endswith("X"):
            return candidate
    raise AssertionError("no X check digit found")


VALID_ID = make_id("22010219900307123")
X_ID = _id_with_x()
KEY = b"test-key-not-a-secret"


def test_valid_national_id_is_normalized() -> None:
    """DOMAIN.md Identifiers: GB 11643 18 characters with checksum, X upper-case."""
    assert validate_national_id(f"  {VALID_ID} ") == VALID_ID
    assert validate_national_id(X_ID.lower()) == X_ID
    assert X_ID.endswith("X")


def test_wrong_check_digit_is_rejected() -> None:
    """DOMAIN.md Identifiers: the checksum is verified."""
    wrong = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
    with pytest.raises(InvalidIdentifier, match="check digit"):
        validate_national_id(wrong)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "22010219900307123",
        "2201021990030712345",
        "22010A199003071235",
        make_id("22010219901332123"),
    ],
)
def test_malformed_national_ids_are_rejected(value: str) -> None:
    """DOMAIN.md Identifiers: only 18-character numbers with a real birth date."""
    with pytest.raises(InvalidIdentifier) as err:
        validate_national_id(value)
    assert isinstance(err.value, ValueError)


def test_birth_date_from_national_id() -> None:
    """GB 11643: characters 7-14 are the birth date."""
    assert birth_date_from_national_id(VALID_ID) == date(1990, 3, 7)


def test_mask_shows_first_and_last_four() -> None:
    """DOMAIN.md Identifiers: identity numbers are shown masked in lists."""
    masked = mask_national_id(X_ID)
    assert masked == X_ID[:4] + "**********" + X_ID[-4:]
    assert len(masked) == 18 and masked.startswith("2201") and masked.endswith("X")
    assert mask_national_id("short") == "*****"


def test_uscc_valid_and_invalid() -> None:
    """DOMAIN.md Identifiers: GB 32100 unified social credit code with checksum."""
    assert validate_uscc(" 91110000600037341l ") == "91110000600037341L"
    with pytest.raises(InvalidIdentifier, match="check"):
        validate_uscc("91110000600037341M")
    with pytest.raises(InvalidIdentifier):
        validate_uscc("9111000060003734")


def test_card_numbers_need_12_to_19_digits_and_luhn() -> None:
    """DOMAIN.md Identifiers: bank card numbers are digits and pass Luhn."""
    assert validate_card_number("4111 1111 1111 1111") == "4111111111111111"
    with pytest.raises(InvalidIdentifier, match="check digit"):
        validate_card_number("4111111111111112")
    with pytest.raises(InvalidIdentifier, match="12 to 19"):
        validate_card_number("42")
    with pytest.raises(InvalidIdentifier, match="digits only"):
        validate_card_number("4111-1111-1111-111a")


def test_case_id_is_stable_and_hides_the_identity_number() -> None:
    """ARCHITECTURE.md Sources of truth: case-<case_id> business key, no ID revealed."""
    cid = case_id_for(VALID_ID, date(2024, 3, 1), KEY)
    assert cid == case_id_for(f" {VALID_ID.lower()} ", date(2024, 3, 1), KEY)
    assert len(cid) == 20
    assert cid == cid.lower() and cid.isalnum() and "=" not in cid
    assert set(cid) <= set("abcdefghijklmnopqrstuvwxyz234567")
    assert VALID_ID not in cid and VALID_ID[-6:] not in cid
    assert cid != case_id_for(VALID_ID, date(2024, 3, 2), KEY)
    assert cid != case_id_for(VALID_ID, date(2024, 3, 1), b"another-key")
    assert cid != case_id_for(X_ID, date(2024, 3, 1), KEY)


def test_case_id_needs_a_key_and_a_valid_id() -> None:
    """ARCHITECTURE.md: case IDs are keyed hashes of a validated identity number."""
    with pytest.raises(ValueError):
        case_id_for(VALID_ID, date(2024, 3, 1), b"")
    with pytest.raises(InvalidIdentifier):
        case_id_for("123", date(2024, 3, 1), KEY)


@pytest.mark.parametrize("year", [1925, 1950, 1960, 1968, 1970, 1975, 1982, 1990, 2008, 2020])
def test_identity_numbers_of_every_birth_year_pass(year: int) -> None:
    """DOMAIN.md Identifiers: a district code that exists now is valid for any birth year
    (numbers are issued by today's household-registration district). stdnum's
    cn.ric.validate refuses 220102 (南关区, in its table from 1983) for anyone born before."""
    for prefix in ("220102", "220201", "330106", "110105"):
        number = make_id(f"{prefix}{year}0101001")
        assert validate_national_id(number) == number


def test_the_issue_9_example_born_1970_passes() -> None:
    """Issue 9 §1: 220102197001010018 (born 1970) was refused; it is valid."""
    assert not ric.is_valid("220102197001010018")  # the check this project no longer uses
    assert validate_national_id("220102197001010018") == "220102197001010018"
    assert birth_date_from_national_id("220102197001010018") == date(1970, 1, 1)


def test_a_region_code_valid_only_before_or_after_the_birth_year_still_passes() -> None:
    """DOMAIN.md Identifiers: any year in python-stdnum's table counts: 220181 (九台市,
    1989-2014), 220113 (九台区, 2014-) and 220120 (市区, before 1983)."""
    for prefix in ("220181", "220113", "220120"):
        assert validate_national_id(make_id(f"{prefix}19550101001"))


@pytest.mark.parametrize(
    ("first17", "message"),
    [
        ("99010219700101001", "characters 1-6 (990102) are not a known province"),
        ("22019919700101001", "characters 1-6 (220199) are not a known province"),
        ("22010219700230001", "characters 7-14 (19700230) are not a real birth date"),
        ("22010218991231001", "birth date 1899-12-31 is before 1900"),
    ],
)
def test_each_failure_has_its_own_message(first17: str, message: str) -> None:
    """DOMAIN.md Identifiers: a real calendar date and a province/prefecture/district that
    exists; the message says which part is wrong."""
    with pytest.raises(InvalidIdentifier, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_national_id(make_id(first17))


def test_length_form_and_future_birth_dates_are_named() -> None:
    """GB 11643: 18 characters, 17 digits and a check character; a birth date not after
    today when the caller gives today."""
    with pytest.raises(InvalidIdentifier, match="18 characters, not 17"):
        validate_national_id(VALID_ID[:-1])
    with pytest.raises(InvalidIdentifier, match="17 digits followed by a digit or X"):
        validate_national_id("X" + VALID_ID[1:])
    future = make_id("22010220270101001")
    assert validate_national_id(future) == future
    with pytest.raises(InvalidIdentifier, match="birth date 2027-01-01 is in the future"):
        validate_national_id(future, today=date(2026, 11, 30))


def test_sex_is_the_17th_digit_odd_for_men() -> None:
    """GB 11643: the order code's last digit (17th character) is odd for men."""
    assert sex_from_national_id(make_id("22010219700101001")) == "male"
    assert sex_from_national_id(make_id("22010219700101002")) == "female"
    assert sex_from_national_id(make_id("22010219700101019")) == "male"
