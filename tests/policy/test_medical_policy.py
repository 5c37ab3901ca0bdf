"""The medical table of a region's policy (DOMAIN.md stage 6; seed 000 范文1): the declaration
window, the premium's rounding, the agency's account, validated when the policy loads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from domain.policy import PolicyError
from policy import POLICY_DIR, load_policy_book

CHANGCHUN = (POLICY_DIR / "220100.toml").read_text(encoding="utf-8")


def _error_for(tmp_path: Path, old: str, new: str) -> PolicyError:
    assert old in CHANGCHUN, old
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "220100.toml").write_text(CHANGCHUN.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy_book(folder)
    return err.value


def test_each_region_declares_on_the_20th_to_25th_to_its_agency_account() -> None:
    """范文1 §4.2: 每月的20—25日 申报; the premium goes to the medical agency's account."""
    book = load_policy_book()
    for code in book.codes():
        rule = book.region(code).at(date(2026, 11, 1)).medical
        assert (rule.declaration_start_day, rule.declaration_end_day) == (20, 25)
        assert rule.cash_option_max_months == 3  # 范文1 §4.6 (1)
        assert rule.partial_month in ("full", "none")
        assert rule.agency_account.account_number.isdigit()
    accounts = {book.region(c).at(date(2026, 11, 1)).medical.agency_account for c in book.codes()}
    assert len(accounts) == 3  # each pooling region has its own agency


def test_a_window_that_starts_after_it_ends_is_refused_naming_file_and_key(
    tmp_path: Path,
) -> None:
    """Issue 12 "Bad input": a declaration window the policy file gets wrong (start after
    end) is a clear error when the policy loads, naming the file and the key."""
    err = _error_for(tmp_path, "declaration_start_day = 20", "declaration_start_day = 26")
    assert err.file == "policy/220100.toml"
    assert err.key == "periods[0].medical.declaration_end_day"
    assert "before it starts" in err.reason and "26" in err.reason


def test_a_window_day_past_the_28th_is_refused(tmp_path: Path) -> None:
    """Every month has a 28th: a later day would skip February's declaration."""
    err = _error_for(tmp_path, "declaration_end_day = 25", "declaration_end_day = 31")
    assert err.key == "periods[0].medical.declaration_end_day"


def test_an_agency_account_failing_its_check_digit_is_refused(tmp_path: Path) -> None:
    """DOMAIN.md Identifiers: card numbers pass Luhn (the bank returns others, AC01)."""
    err = _error_for(tmp_path, '"6222020200880000019"', '"6222020200880000018"')
    assert err.key == "periods[0].medical.agency_account.account_number"
    assert "check digit" in err.reason


def test_an_unknown_partial_month_rule_and_rounding_are_refused(tmp_path: Path) -> None:
    err = _error_for(tmp_path, 'partial_month = "full"', 'partial_month = "daily"')
    assert err.key == "periods[0].medical.partial_month"
    (tmp_path / "policy" / "220100.toml").unlink()
    (tmp_path / "policy").rmdir()
    err = _error_for(
        tmp_path, 'rounding = "half_up"                   # the premium', 'rounding = "up" #'
    )
    assert err.key == "periods[0].medical.rounding"
