"""Due dates of statutory periods (民法典 arts. 201, 203; DOMAIN.md "Stages and deadlines")."""

from datetime import date, datetime, timedelta

import pytest

from domain.calendar import AGENCY_TZ, calendar_from_year_table, default_calendar
from domain.deadlines import (
    compute_deadline,
    consulted_years,
    deadline_expiry,
    recomputed_due,
    reminder_dates,
    reminder_instant,
)


def test_15_day_period_ending_in_national_day_week_rolls_to_2024_10_08() -> None:
    """民法典 art. 203; DOMAIN.md stage 1: employer report 15 days, last day a holiday."""
    d = compute_deadline(date(2024, 9, 18), 15, "calendar", default_calendar())
    assert d.due_date == date(2024, 10, 8)
    assert d.rolled_from == date(2024, 10, 3)
    assert d.warnings == ()
    assert d.day_kind == "calendar" and d.period_days == 15


def test_period_ending_on_a_saturday_rolls_to_monday() -> None:
    """民法典 art. 203; DOMAIN.md Stages and deadlines: last day a rest day."""
    d = compute_deadline(date(2024, 3, 1), 15, "calendar", default_calendar())
    assert d.due_date == date(2024, 3, 18)
    assert d.rolled_from == date(2024, 3, 16)


def test_period_counts_from_the_day_after_start_and_ends_on_a_working_day() -> None:
    """民法典 art. 201; DOMAIN.md stage 2: registration within 30 days of the notice."""
    d = compute_deadline(date(2024, 3, 4), 30, "calendar", default_calendar())
    assert d.due_date == date(2024, 4, 3)  # a Wednesday, no roll
    assert d.rolled_from is None


def test_adjusted_workday_is_a_valid_last_day() -> None:
    """民法典 art. 203; DOMAIN.md Stages and deadlines: 2024-09-29 (Sunday) is worked."""
    d = compute_deadline(date(2024, 9, 14), 15, "calendar", default_calendar())
    assert d.due_date == date(2024, 9, 29)
    assert d.rolled_from is None


def test_working_day_period_skips_national_day_and_counts_adjusted_days() -> None:
    """DOMAIN.md Stages and deadlines: periods in 工作日 when the policy says so."""
    d = compute_deadline(date(2024, 9, 27), 15, "working", default_calendar())
    # 09-29, 09-30, 10-08..10-11, 10-12 (Sat worked), 10-14..18, 10-21..23
    assert d.due_date == date(2024, 10, 23)
    assert d.rolled_from is None
    assert compute_deadline(date(2024, 9, 27), 2, "working", default_calendar()).due_date == (
        date(2024, 9, 30)
    )


def test_unknown_year_warns_and_uses_weekends_only() -> None:
    """DOMAIN.md Stages and deadlines: later years fall back with a visible warning."""
    d = compute_deadline(date(2026, 12, 17), 15, "calendar", default_calendar())
    assert d.due_date == date(2027, 1, 1)  # Friday; 2027 holidays unknown
    assert d.warnings == ("holiday calendar does not know 2027; weekends-only fallback used",)
    assert d.provisional is True and d.provisional_years == (2027,)


def test_unknown_year_weekend_still_rolls_with_warning() -> None:
    """民法典 art. 203 with the weekends-only fallback (DOMAIN.md Stages and deadlines)."""
    d = compute_deadline(date(2026, 12, 18), 15, "working", default_calendar())
    assert d.due_date.year == 2027 and d.due_date.weekday() < 5
    assert len(d.warnings) == 1 and "2027" in d.warnings[0]
    assert d.provisional and d.provisional_years == (2027,)
    d2 = compute_deadline(date(2027, 1, 1), 1, "calendar", default_calendar())
    assert d2.due_date == date(2027, 1, 4) and d2.rolled_from == date(2027, 1, 2)
    assert d2.provisional


def test_known_year_has_no_warning() -> None:
    """DOMAIN.md Stages and deadlines: warnings only for years not loaded."""
    d = compute_deadline(date(2026, 12, 1), 15, "calendar", default_calendar())
    assert d.warnings == () and d.provisional is False and d.provisional_years == ()


def test_a_period_across_two_unknown_years_is_provisional_in_both() -> None:
    """DOMAIN.md Stages and deadlines: every year consulted that is not loaded is named."""
    d = compute_deadline(date(2030, 12, 20), 30, "calendar", default_calendar())
    assert d.provisional_years == (2030, 2031)
    assert consulted_years(date(2030, 12, 20), d.due_date) == [2030, 2031]
    # art. 201: the count starts the day after, so a period from 31 December consults one year
    assert consulted_years(date(2030, 12, 31), date(2031, 1, 30)) == [2031]


def test_loading_the_year_makes_the_same_period_official() -> None:
    """DOMAIN.md Stages and deadlines: once the year is loaded, it is not provisional."""
    fixture = calendar_from_year_table(
        {"year": 2031, "holidays": [{"date": date(2031, 10, 8), "name": "fixture, not real"}]}
    )
    before = compute_deadline(date(2031, 9, 8), 30, "calendar", default_calendar())
    after = compute_deadline(date(2031, 9, 8), 30, "calendar", default_calendar([fixture]))
    assert (before.due_date, before.provisional) == (date(2031, 10, 8), True)
    assert (after.due_date, after.provisional) == (date(2031, 10, 9), False)
    assert after.rolled_from == date(2031, 10, 8)


def test_a_recomputed_deadline_moves_later_but_never_earlier_than_announced() -> None:
    """DOMAIN.md Stages and deadlines: the loaded year decides, but a weekend it makes a
    working day does not take back a day already announced."""
    assert recomputed_due(date(2031, 10, 8), date(2031, 10, 13)) == date(2031, 10, 13)
    assert recomputed_due(date(2031, 10, 13), date(2031, 10, 11)) == date(2031, 10, 13)
    assert recomputed_due(date(2031, 10, 13), date(2031, 10, 13)) == date(2031, 10, 13)


@pytest.mark.parametrize(("days", "kind"), [(0, "calendar"), (-3, "working"), (15, "weeks")])
def test_invalid_period_is_rejected(days: int, kind: str) -> None:
    """DOMAIN.md Stages and deadlines: periods are positive calendar or working days."""
    with pytest.raises(ValueError):
        compute_deadline(date(2024, 1, 1), days, kind, default_calendar())


def test_reminder_dates_sorted_unique_and_before_due() -> None:
    """DOMAIN.md stage 2: reminders before the day (registration reminders 20 and 27)."""
    start = date(2024, 3, 4)
    assert reminder_dates(start, [27, 20, 20], date(2024, 4, 3)) == [
        date(2024, 3, 24),
        date(2024, 3, 31),
    ]
    assert reminder_dates(start, [20, 30, 31], date(2024, 4, 3)) == [date(2024, 3, 24)]
    assert reminder_dates(start, [10], date(2024, 3, 14)) == []  # not strictly before
    with pytest.raises(ValueError):
        reminder_dates(start, [-1], date(2024, 4, 3))


def test_deadline_expiry_is_next_day_midnight_china_time() -> None:
    """DOMAIN.md Stages and deadlines: the period runs through its whole last day (UTC+8)."""
    expiry = deadline_expiry(date(2024, 10, 8))
    assert expiry == datetime(2024, 10, 9, 0, 0, tzinfo=AGENCY_TZ)
    assert expiry.utcoffset() == timedelta(hours=8)
    assert expiry.isoformat() == "2024-10-09T00:00:00+08:00"


def test_reminder_instant_is_9am_china_time() -> None:
    """DOMAIN.md stage 2: reminders are sent on the reminder day (09:00 UTC+8)."""
    assert reminder_instant(date(2024, 3, 24)).isoformat() == "2024-03-24T09:00:00+08:00"
    assert reminder_instant(date(2024, 3, 24), hour=14).hour == 14
