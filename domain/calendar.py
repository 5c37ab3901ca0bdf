"""China's working-day calendar as data (DOMAIN.md "Stages and deadlines").

The State Council publishes each year's statutory holidays and adjusted working
days (调休上班), so the calendar is data: the years shipped in the
``chinese_calendar`` package (2004-2026) plus year files an admin loads. A year
the calendar does not know falls back to Monday-Friday; callers turn that into a
visible warning (see ``domain.deadlines``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta, timezone
from functools import lru_cache
from typing import Any

from chinese_calendar import constants as _cn_constants  # type: ignore[import-untyped,unused-ignore]

AGENCY_TZ = timezone(timedelta(hours=8))
"""China Standard Time (UTC+8, no daylight saving): the agency's local time."""

_YEAR_TABLE_KEYS = frozenset({"year", "holidays", "workdays"})
MAX_NAME = 64  # characters of a holiday's name


class CalendarDataError(ValueError):
    """A holiday year table is malformed; ``key`` names the offending entry."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class HolidayCalendar:
    """Statutory holidays, adjusted working days and the years they cover.

    ``holidays`` are days off (statutory holidays and the rest days of a
    holiday block), ``workdays`` are weekend days that are working days.
    """

    __slots__ = ("_holidays", "_workdays", "_known_years")

    def __init__(
        self,
        holidays: Mapping[date, str],
        workdays: Mapping[date, str],
        known_years: Iterable[int],
    ) -> None:
        both = sorted(set(holidays) & set(workdays))
        if both:
            raise ValueError(f"{both[0].isoformat()} is both a holiday and a workday")
        self._holidays: dict[date, str] = dict(holidays)
        self._workdays: dict[date, str] = dict(workdays)
        self._known_years: frozenset[int] = frozenset(known_years)

    @property
    def known_years(self) -> frozenset[int]:
        return self._known_years

    def days_off(self, year: int) -> dict[date, str]:
        """The listed days off of ``year`` (statutory holidays and rest days of a block)."""
        return {d: n for d, n in sorted(self._holidays.items()) if d.year == year}

    def adjusted_workdays(self, year: int) -> dict[date, str]:
        """The weekend days of ``year`` that are working days (调休上班)."""
        return {d: n for d, n in sorted(self._workdays.items()) if d.year == year}

    def knows(self, year: int) -> bool:
        return year in self._known_years

    def holiday_name(self, d: date) -> str | None:
        """The holiday a day belongs to, if the calendar lists it as a day off."""
        return self._holidays.get(d) if self.knows(d.year) else None

    def is_working_day(self, d: date) -> bool:
        """Working iff (Mon-Fri and not a holiday) or an adjusted workday.

        In a year the calendar does not know: Monday to Friday.
        """
        if not self.knows(d.year):
            return d.weekday() < 5
        if d in self._workdays:
            return True
        return d.weekday() < 5 and d not in self._holidays

    def next_working_day(self, d: date) -> date:
        """``d`` itself if it is a working day, else the first one after it."""
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself for 0)."""
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        d = start
        while n > 0:
            d += timedelta(days=1)
            if self.is_working_day(d):
                n -= 1
        return d

    def merged(self, other: HolidayCalendar) -> HolidayCalendar:
        """This calendar with ``other`` laid over it.

        For every year ``other`` knows, its data replaces this calendar's data
        for that year (a corrected or newly published year wins).
        """
        years = other.known_years

        def keep(table: Mapping[date, str]) -> dict[date, str]:
            return {d: name for d, name in table.items() if d.year not in years}

        return HolidayCalendar(
            holidays={**keep(self._holidays), **other._holidays},
            workdays={**keep(self._workdays), **other._workdays},
            known_years=self._known_years | years,
        )

    def __repr__(self) -> str:
        years = sorted(self._known_years)
        span = f"{years[0]}-{years[-1]}" if years else "none"
        return f"HolidayCalendar(known_years={span}, holidays={len(self._holidays)})"


@lru_cache(maxsize=1)
def _package_calendar() -> HolidayCalendar:
    """The schedule shipped in ``chinese_calendar`` (built once)."""
    holidays: dict[date, str] = dict(_cn_constants.holidays)
    workdays: dict[date, str] = dict(_cn_constants.workdays)
    years = {d.year for d in holidays} | {d.year for d in workdays}
    return HolidayCalendar(holidays, workdays, years)


def package_years() -> frozenset[int]:
    """The years whose schedule ships in the ``chinese_calendar`` package."""
    return _package_calendar().known_years


def default_calendar(extra: Iterable[HolidayCalendar] = ()) -> HolidayCalendar:
    """The package calendar, with each of ``extra`` laid over it in order."""
    calendar = _package_calendar()
    for more in extra:
        calendar = calendar.merged(more)
    return calendar


def _entry(entry: Any, where: str, default_name: str, require_name: bool) -> tuple[Any, str]:
    """(the date as given, its name) of one entry: a date, or a table {date, name}."""
    if not isinstance(entry, Mapping):
        if require_name:
            raise CalendarDataError(where, 'needs a name: {date = ..., name = "..."}')
        return entry, default_name
    unknown = sorted(set(entry) - {"date", "name"})
    if unknown:
        raise CalendarDataError(where, f"unknown key {unknown[0]!r}")
    name = entry.get("name", None if require_name else default_name)
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise CalendarDataError(where, f"name must be a text of 1 to {MAX_NAME} characters")
    return entry.get("date"), name.strip()


def _year_dates(
    data: Mapping[str, Any], key: str, year: int, require_name: bool
) -> dict[date, str]:
    entries = data.get(key, [])
    if not isinstance(entries, list):
        raise CalendarDataError(key, "must be a list of dates")
    default_name = "holiday" if key == "holidays" else "adjusted workday"
    out: dict[date, str] = {}
    for i, raw in enumerate(entries):
        where = f"{key}[{i}]"
        entry, name = _entry(raw, where, default_name, require_name)
        if type(entry) is not date:
            raise CalendarDataError(where, f"{entry!r} is not a date like 2027-01-01")
        if entry.year != year:
            raise CalendarDataError(where, f"{entry.isoformat()} is not in {year}")
        if key == "workdays" and entry.weekday() < 5:
            raise CalendarDataError(
                where, f"{entry.isoformat()} is a weekday; adjusted workdays are weekends"
            )
        if entry in out:
            raise CalendarDataError(where, f"{entry.isoformat()} is listed twice")
        out[entry] = name
    return out


def calendar_from_year_table(
    data: Mapping[str, Any], *, require_holiday_names: bool = False
) -> HolidayCalendar:
    """One year from a parsed TOML table.

    ``year = 2027``, ``holidays = [2027-01-01, ...]`` and ``workdays = [...]``;
    an entry may also be a table ``{date = 2027-01-01, name = "New Year's Day"}``
    (with ``require_holiday_names`` every holiday must be such a table).
    Raises ``CalendarDataError`` (a ValueError) naming the bad entry and date.
    """
    unknown = sorted(set(data) - _YEAR_TABLE_KEYS)
    if unknown:
        raise CalendarDataError(unknown[0], "unknown key")
    year = data.get("year")
    if type(year) is not int or not 1900 <= year <= 2999:
        raise CalendarDataError("year", f"must be a year like 2027, got {year!r}")
    holidays = _year_dates(data, "holidays", year, require_holiday_names)
    workdays = _year_dates(data, "workdays", year, False)
    for i, day in enumerate(workdays):
        if day in holidays:
            raise CalendarDataError(
                f"workdays[{i}]", f"{day.isoformat()} is also listed as a holiday"
            )
    return HolidayCalendar(holidays, workdays, [year])
