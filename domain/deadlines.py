"""Statutory periods and their due dates (DOMAIN.md "Stages and deadlines").

Counting follows 民法典 art. 201 (a period in days starts on the day after the
triggering day) and art. 203 (a period whose last day is a statutory holiday or
rest day ends on the next working day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, cast

from domain.calendar import AGENCY_TZ, HolidayCalendar

DayKind = Literal["calendar", "working"]
DAY_KINDS: frozenset[str] = frozenset({"calendar", "working"})


@dataclass(frozen=True)
class Deadline:
    start: date
    period_days: int
    day_kind: DayKind
    due_date: date
    rolled_from: date | None
    warnings: tuple[str, ...]
    # the years consulted that the calendar does not know (weekends-only fallback used)
    provisional_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        """Computed without the official schedule of a year it consulted (DOMAIN.md
        "Stages and deadlines": shown as provisional until an admin loads the year)."""
        return bool(self.provisional_years)


def consulted_years(start: date, due: date) -> list[int]:
    """The years whose calendar a period from ``start`` to ``due`` consults (art. 201: the
    count starts on the day after ``start``)."""
    return list(range((start + timedelta(days=1)).year, due.year + 1))


def unknown_year_warning(year: int) -> str:
    return f"holiday calendar does not know {year}; weekends-only fallback used"


def compute_deadline(
    start: date, period_days: int, day_kind: str, calendar: HolidayCalendar
) -> Deadline:
    """The due date of a period of ``period_days`` days counted from ``start``.

    ``calendar`` days: the day ``start + period_days``, moved to the next working
    day if it is a holiday or rest day (``rolled_from`` keeps the unmoved day).
    ``working`` days: the ``period_days``-th working day after ``start``.
    Every year consulted that the calendar does not know adds a warning and makes the
    deadline provisional (``provisional_years``).
    """
    if day_kind not in DAY_KINDS:
        raise ValueError(f"day_kind must be 'calendar' or 'working', got {day_kind!r}")
    if period_days < 1:
        raise ValueError(f"period_days must be at least 1, got {period_days}")
    rolled_from: date | None = None
    if day_kind == "calendar":
        last = start + timedelta(days=period_days)
        due = calendar.next_working_day(last)
        if due != last:
            rolled_from = last
    else:
        due = calendar.add_working_days(start, period_days)
    unknown = tuple(y for y in consulted_years(start, due) if not calendar.knows(y))
    return Deadline(
        start=start,
        period_days=period_days,
        day_kind=cast(DayKind, day_kind),
        due_date=due,
        rolled_from=rolled_from,
        warnings=tuple(unknown_year_warning(y) for y in unknown),
        provisional_years=unknown,
    )


def recomputed_due(announced: date, official: date) -> date:
    """The due date of a provisional deadline once its year's schedule is loaded: the
    official one, but never earlier than the day already announced (a weekend the schedule
    makes a working day could shorten the period; whoever relied on the announced day keeps
    it: DOMAIN.md "Stages and deadlines")."""
    return max(announced, official)


def reminder_dates(start: date, offsets_days: Sequence[int], due_date: date) -> list[date]:
    """``start + offset`` for each offset, sorted, unique, strictly before due."""
    if any(o < 0 for o in offsets_days):
        raise ValueError(f"reminder offsets must not be negative: {list(offsets_days)}")
    days = {start + timedelta(days=o) for o in offsets_days}
    return sorted(d for d in days if d < due_date)


def deadline_expiry(due_date: date) -> datetime:
    """The instant a period has run out: 00:00 (UTC+8) of the day after due."""
    return datetime.combine(due_date + timedelta(days=1), time(0), tzinfo=AGENCY_TZ)


def reminder_instant(d: date, hour: int = 9) -> datetime:
    """The instant a reminder for day ``d`` is sent (default 09:00 UTC+8)."""
    return datetime.combine(d, time(hour), tzinfo=AGENCY_TZ)
