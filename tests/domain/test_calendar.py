"""Working-day calendar (DOMAIN.md "Stages and deadlines": the calendar is data)."""

from datetime import date

import pytest

from domain.calendar import (
    AGENCY_TZ,
    CalendarDataError,
    HolidayCalendar,
    calendar_from_year_table,
    default_calendar,
)


def test_national_day_2024_is_not_a_working_day() -> None:
    """DOMAIN.md Stages and deadlines: statutory holidays (2024-10-01 国庆节) are days off."""
    cal = default_calendar()
    assert cal.knows(2024)
    assert cal.is_working_day(date(2024, 10, 1)) is False
    assert cal.is_working_day(date(2024, 10, 7)) is False
    assert cal.holiday_name(date(2024, 10, 1)) == "National Day"


def test_adjusted_workday_sunday_2024_09_29_is_a_working_day() -> None:
    """DOMAIN.md Stages and deadlines: an adjusted workday (调休上班) on a Sunday is worked."""
    cal = default_calendar()
    assert date(2024, 9, 29).weekday() == 6
    assert cal.is_working_day(date(2024, 9, 29)) is True
    assert cal.is_working_day(date(2024, 10, 12)) is True  # Saturday, also adjusted


def test_ordinary_weekend_and_weekday_in_a_known_year() -> None:
    """DOMAIN.md Stages and deadlines: ordinary Saturdays/Sundays are rest days."""
    cal = default_calendar()
    assert cal.is_working_day(date(2024, 3, 16)) is False  # Saturday
    assert cal.is_working_day(date(2024, 3, 18)) is True  # Monday


def test_unknown_year_2027_falls_back_to_weekends_only() -> None:
    """DOMAIN.md Stages and deadlines: later years fall back to Saturday/Sunday."""
    cal = default_calendar()
    assert not cal.knows(2027)
    assert cal.is_working_day(date(2027, 1, 1)) is True  # a Friday; holiday not known
    assert cal.is_working_day(date(2027, 1, 2)) is False  # Saturday
    assert cal.holiday_name(date(2027, 1, 1)) is None


def test_package_calendar_covers_2004_to_2026_and_is_cached() -> None:
    """DOMAIN.md Stages and deadlines: chinese-calendar covers 2004-2026."""
    cal = default_calendar()
    assert min(cal.known_years) == 2004
    assert max(cal.known_years) == 2026
    assert default_calendar() is cal


def test_next_working_day_and_add_working_days_across_national_day() -> None:
    """民法典 art. 203; DOMAIN.md Stages and deadlines: holidays are skipped."""
    cal = default_calendar()
    assert cal.next_working_day(date(2024, 10, 1)) == date(2024, 10, 8)
    assert cal.next_working_day(date(2024, 9, 30)) == date(2024, 9, 30)
    # 2024-09-27 (Fri) -> 09-29 (adjusted Sunday) -> 09-30 -> 10-08
    assert cal.add_working_days(date(2024, 9, 27), 1) == date(2024, 9, 29)
    assert cal.add_working_days(date(2024, 9, 27), 3) == date(2024, 10, 8)
    assert cal.add_working_days(date(2024, 9, 27), 0) == date(2024, 9, 27)
    with pytest.raises(ValueError):
        cal.add_working_days(date(2024, 9, 27), -1)


def test_year_table_adds_a_year_and_merges_over_the_package() -> None:
    """DOMAIN.md Stages and deadlines: an admin loads a new year as data."""
    year = calendar_from_year_table(
        {
            "year": 2027,
            "holidays": [date(2027, 1, 1), {"date": date(2027, 2, 8), "name": "Spring Festival"}],
            "workdays": [date(2027, 2, 6)],
        }
    )
    cal = default_calendar([year])
    assert cal.knows(2027) and cal.knows(2024)
    assert cal.is_working_day(date(2027, 1, 1)) is False
    assert cal.holiday_name(date(2027, 2, 8)) == "Spring Festival"
    assert cal.is_working_day(date(2027, 2, 6)) is True  # Saturday worked
    assert cal.is_working_day(date(2027, 1, 4)) is True
    assert cal.is_working_day(date(2024, 10, 1)) is False  # package data kept


def test_merged_year_replaces_the_same_year_of_the_base() -> None:
    """DOMAIN.md Stages and deadlines: a loaded year file is the source for its year."""
    corrected = HolidayCalendar({date(2024, 10, 1): "National Day"}, {}, [2024])
    cal = default_calendar([corrected])
    assert cal.is_working_day(date(2024, 10, 1)) is False
    assert cal.is_working_day(date(2024, 10, 2)) is True  # dropped by the correction
    assert cal.is_working_day(date(2024, 9, 29)) is False  # no longer an adjusted workday
    assert cal.is_working_day(date(2023, 10, 2)) is False  # other years untouched


@pytest.mark.parametrize(
    ("table", "key", "text"),
    [
        ({"year": 2027, "holidays": [date(2028, 1, 1)]}, "holidays[0]", "2028-01-01"),
        ({"year": 2027, "workdays": [date(2027, 1, 4)]}, "workdays[0]", "2027-01-04"),
        ({"year": 2027, "holidays": ["2027-01-01"]}, "holidays[0]", "not a date"),
        ({"year": "2027"}, "year", "must be a year"),
        ({"year": 2027, "extra": 1}, "extra", "unknown key"),
        (
            {"year": 2027, "holidays": [date(2027, 2, 6)], "workdays": [date(2027, 2, 6)]},
            "workdays[0]",
            "2027-02-06",
        ),
    ],
)
def test_year_table_rejects_bad_entries_naming_them(table: dict, key: str, text: str) -> None:
    """DOMAIN.md Stages and deadlines: holiday data is validated before use."""
    with pytest.raises(CalendarDataError) as err:
        calendar_from_year_table(table)
    assert err.value.key == key
    assert text in str(err.value)
    assert isinstance(err.value, ValueError)


def test_agency_timezone_is_utc_plus_8() -> None:
    """DOMAIN.md Stages and deadlines: China Standard Time, UTC+8, no DST."""
    assert AGENCY_TZ.utcoffset(None).total_seconds() == 8 * 3600
