"""Region policy tables and their loader (DOMAIN.md: *policy* figures are data with
effective dates; ARCHITECTURE.md "Seeded regions")."""

import shutil
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from domain.amounts import monthly_amount
from domain.policy import NoPolicyInForce, PolicyError, RegionPolicy, parse_region_policy
from policy import (
    NATIONAL_FILE,
    POLICY_DIR,
    PolicyBook,
    UnknownRegion,
    default_policy_book,
    load_policy_book,
)

CHANGCHUN = (POLICY_DIR / "220100.toml").read_text(encoding="utf-8")


def _book_with(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "policy"
    folder.mkdir()
    shutil.copy(POLICY_DIR / NATIONAL_FILE, folder / NATIONAL_FILE)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def _error_for(tmp_path: Path, name: str, text: str) -> PolicyError:
    folder = _book_with(tmp_path, name, text)
    with pytest.raises(PolicyError) as err:
        load_policy_book(folder)
    return err.value


def _replace(old: str, new: str, text: str = CHANGCHUN) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_three_seeded_regions_load() -> None:
    """ARCHITECTURE.md Seeded regions: 220100 长春市, 220200 吉林市, 330100 杭州市."""
    book = load_policy_book()
    assert isinstance(book, PolicyBook)
    assert book.codes() == ["220100", "220200", "330100"]
    assert book.region("220100").name == "长春市"
    assert book.region("220200").province_code == book.region("220100").province_code == "22"
    assert book.region("330100").province_code == "33"
    assert book.calendar.knows(2024)


def test_regions_without_a_seed_source_are_marked_illustrative() -> None:
    """ARCHITECTURE.md Seeded regions: figures without a source are marked illustrative."""
    book = load_policy_book()
    assert book.region("220100").illustrative is False
    assert book.region("220200").illustrative is True
    assert book.region("330100").illustrative is True


def test_changchun_574_before_and_755_from_2023_10_01() -> None:
    """Seed 002: 长春市本级 574 yuan/month, 755 yuan/month from 2023-10-01."""
    cc = load_policy_book().region("220100")
    before, after = cc.at(date(2023, 9, 30)), cc.at(date(2023, 10, 1))
    assert monthly_amount(before.benefit, before.rounding) == Decimal("574.00")
    assert monthly_amount(after.benefit, after.rounding) == Decimal("755.00")
    assert cc.version_at(date(2023, 9, 30)) == "220100@2019-01-01"
    assert cc.version_at(date(2025, 1, 1)) == "220100@2023-10-01"


def test_a_later_period_inherits_what_it_does_not_change() -> None:
    """DOMAIN.md: a policy change applies from its effective date; the rest stays."""
    cc = load_policy_book().region("220100")
    before, after = cc.at(date(2023, 9, 30)), cc.at(date(2023, 10, 1))
    assert after.benefit.rule == "fixed"
    assert after.deadlines == before.deadlines
    assert after.duration == before.duration
    assert after.deadlines["registration"].days == 30
    assert after.deadlines["registration"].reminders == (20, 27)
    assert after.deadlines["employer_report"].days == 15
    assert after.deadlines["review"].day_kind == "calendar"
    assert [b.benefit_months for b in after.duration] == [12, 18, 24]
    assert after.min_contribution_months == 12 and after.max_entitlement_months == 24
    assert after.task_due_days == {
        "employer_report_overdue": 5,
        "late_registration": 5,
        "missed_check_in": 10,
    }
    assert after.release_approval_threshold == Decimal("1000000.00")
    assert after.medical.base_percent_of_avg_wage == Decimal(60)


def test_before_the_first_period_there_is_no_policy() -> None:
    """DOMAIN.md: policy values are looked up by date; none before the first period."""
    with pytest.raises(NoPolicyInForce) as err:
        load_policy_book().region("220100").at(date(2018, 12, 31))
    assert isinstance(err.value, LookupError)


def test_hangzhou_percent_of_min_wage() -> None:
    """Seed 000 art. 21 (percentage of minimum wage); 330100 figures are illustrative."""
    hz = load_policy_book().region("330100").at(date(2024, 6, 1))
    assert hz.benefit.rule == "percent_of_min_wage"
    assert monthly_amount(hz.benefit, hz.rounding) == Decimal("2241.00")


def test_unknown_region_is_a_key_error() -> None:
    """ARCHITECTURE.md REST contract: region_code must be a seeded region."""
    with pytest.raises(UnknownRegion) as err:
        load_policy_book().region("999999")
    assert isinstance(err.value, KeyError)
    assert "999999" in str(err.value)


def test_default_book_is_loaded_once() -> None:
    """ARCHITECTURE.md Sources of truth: policy/ is read once, then served from memory."""
    assert default_policy_book() is default_policy_book()


def test_policy_round_trips_through_json() -> None:
    """ARCHITECTURE.md: workflows receive policy values with their input (serialised)."""
    cc = load_policy_book().region("220100")
    again = RegionPolicy.model_validate_json(cc.model_dump_json())
    assert again == cc
    assert again.at(date(2024, 1, 1)).benefit.amount == Decimal("755.00")


def test_wrong_decimal_names_file_and_key(tmp_path: Path) -> None:
    """DOMAIN.md Money: amounts are decimals with 2 places."""
    err = _error_for(tmp_path, "220100.toml", _replace('amount = "755.00"', 'amount = "755.001"'))
    assert err.file == "policy/220100.toml"
    assert err.key == "periods[1].benefit.amount"
    assert str(err).startswith("policy/220100.toml: periods[1].benefit.amount: must be a decimal")


def test_float_amount_is_rejected(tmp_path: Path) -> None:
    """DOMAIN.md Money: Decimal, never float (TOML floats are refused)."""
    err = _error_for(tmp_path, "220100.toml", _replace('amount = "574.00"', "amount = 574.0"))
    assert err.key == "periods[0].benefit.amount"


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    """DOMAIN.md *policy*: a typo in a policy key must not pass silently."""
    text = _replace(
        'day_kind = "calendar"\nreminders = [10]\n\n[periods.task_due_days]',
        'day_kind = "calendar"\nreminders = [10]\nremind = 3\n\n[periods.task_due_days]',
    )
    err = _error_for(tmp_path, "220100.toml", text)
    assert err.key == "periods[0].deadlines.review.remind"
    assert "unknown key" in str(err)
    assert "policy/220100.toml" in str(err)


def test_overlapping_duration_bands_are_rejected(tmp_path: Path) -> None:
    """社会保险法 art. 46: duration bands are contiguous and do not overlap."""
    text = _replace("min_months = 60\nmax_months = 120", "min_months = 50\nmax_months = 120")
    err = _error_for(tmp_path, "220100.toml", text)
    assert err.key == "periods[0].duration"
    assert "contiguous" in err.reason


def test_region_code_must_match_the_file_name(tmp_path: Path) -> None:
    """ARCHITECTURE.md Seeded regions: one file per region, named by its code."""
    err = _error_for(tmp_path, "220199.toml", CHANGCHUN)
    assert err.file == "policy/220199.toml"
    assert err.key == "region_code"


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    """ARCHITECTURE.md: policy/ is TOML; a syntax error stops loading with the file named."""
    err = _error_for(tmp_path, "220100.toml", _replace("rounding = ", "rounding = = "))
    assert err.file == "policy/220100.toml"
    assert "invalid TOML" in str(err) and "line" in str(err)


def test_effective_dates_must_increase(tmp_path: Path) -> None:
    """DOMAIN.md: a policy change applies from its effective date (periods in order)."""
    text = _replace("effective_from = 2023-10-01", "effective_from = 2018-10-01")
    err = _error_for(tmp_path, "220100.toml", text)
    assert err.key == "periods[1].effective_from"


def test_reminders_must_fall_before_the_due_day(tmp_path: Path) -> None:
    """DOMAIN.md stage 2: reminders come before the day."""
    err = _error_for(
        tmp_path, "220100.toml", _replace("reminders = [20, 27]", "reminders = [20, 30]")
    )
    assert err.key == "periods[0].deadlines.registration.reminders"


def test_first_period_must_be_complete(tmp_path: Path) -> None:
    """DOMAIN.md *policy*: the first period holds every figure."""
    err = _error_for(tmp_path, "220100.toml", _replace('proration = "daily"\n', ""))
    assert err.key == "periods[0].proration"
    assert "missing" in err.reason


def test_switching_benefit_rule_replaces_the_inherited_table() -> None:
    """DOMAIN.md stage 4: a province may move from a fixed amount to a percentage rule."""
    text = _replace(
        '[periods.benefit]\namount = "755.00"',
        '[periods.benefit]\nrule = "percent_of_min_wage"\npercent = 70\nmin_wage = "2120.00"',
    )
    policy = parse_region_policy(tomllib.loads(text), "policy/220100.toml")
    later = policy.at(date(2024, 1, 1)).benefit
    assert later.amount is None and later.percent == Decimal(70)
    assert monthly_amount(later, "half_up") == Decimal("1484.00")


def test_holiday_year_file_extends_the_calendar(tmp_path: Path) -> None:
    """DOMAIN.md Stages and deadlines: an admin loads a newly published year."""
    folder = _book_with(tmp_path, "220100.toml", CHANGCHUN)
    (folder / "holidays").mkdir()
    (folder / "holidays" / "2027.toml").write_text(
        "year = 2027\nholidays = [2027-01-01]\nworkdays = []\n", encoding="utf-8"
    )
    book = load_policy_book(folder)
    assert book.calendar.knows(2027)
    assert book.calendar.is_working_day(date(2027, 1, 1)) is False


def test_bad_holiday_year_names_file_and_entry(tmp_path: Path) -> None:
    """DOMAIN.md Stages and deadlines: holiday data is validated when loaded."""
    folder = _book_with(tmp_path, "220100.toml", CHANGCHUN)
    (folder / "holidays").mkdir()
    (folder / "holidays" / "2027.toml").write_text(
        "year = 2027\nholidays = [2027-01-01, 2028-01-01]\n", encoding="utf-8"
    )
    with pytest.raises(PolicyError) as err:
        load_policy_book(folder)
    assert err.value.file == "policy/holidays/2027.toml"
    assert err.value.key == "holidays[1]"
    assert "2028-01-01" in str(err.value)
