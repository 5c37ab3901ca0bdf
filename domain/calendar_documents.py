"""One year's official holiday schedule as a document an administrator loads (DOMAIN.md
"Stages and deadlines": the State Council's notice, 国务院办公厅关于某年部分节假日安排的通知).

The document is TOML (the format of policy/holidays/<year>.toml) or JSON::

    year = 2031
    holidays = [{date = 2031-10-01, name = "..."}, ...]   # every day off of each block
    workdays = [{date = 2031-09-28, name = "..."}, ...]   # weekend days worked (调休上班)

In JSON the dates are strings ``"2031-10-01"``. Every holiday is named; every date lies in
the year; a day is listed once; workdays are Saturdays or Sundays and never holidays. A bad
document raises ``CalendarDataError`` naming the entry (``holidays[3]``) and why.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from domain.calendar import CalendarDataError, HolidayCalendar, calendar_from_year_table

DocumentFormat = Literal["toml", "json"]
MAX_DOCUMENT_BYTES = 64 * 1024  # a year lists a few dozen days; anything larger is a mistake
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DATE_LISTS = ("holidays", "workdays")


@dataclass(frozen=True)
class YearSchedule:
    """One validated year: its calendar (knowing that year only) and its data as a table."""

    year: int
    calendar: HolidayCalendar

    def table(self) -> dict[str, Any]:
        """The schedule as plain JSON-ready data (ISO dates), as it is stored and shown."""
        return {
            "year": self.year,
            "holidays": _entries(self.calendar.days_off(self.year)),
            "workdays": _entries(self.calendar.adjusted_workdays(self.year)),
        }


def _entries(days: Mapping[date, str]) -> list[dict[str, str]]:
    return [{"date": d.isoformat(), "name": name} for d, name in days.items()]


def detect_format(text: str) -> DocumentFormat:
    """JSON when the document is a JSON object, else TOML."""
    return "json" if text.lstrip().startswith("{") else "toml"


def _as_date(value: Any, where: str) -> Any:
    """An ISO date string as a date (other values are left for the table's own checks)."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CalendarDataError(where, f"{value!r} is not a date") from None


def _json_dates(data: dict[str, Any]) -> dict[str, Any]:
    """JSON has no dates: turn each entry's ISO string into one."""
    out = dict(data)
    for key in _DATE_LISTS:
        entries = data.get(key)
        if not isinstance(entries, list):
            continue
        converted: list[Any] = []
        for i, entry in enumerate(entries):
            where = f"{key}[{i}]"
            if isinstance(entry, Mapping):
                entry = {**entry, "date": _as_date(entry.get("date"), where)}
            else:
                entry = _as_date(entry, where)
            converted.append(entry)
        out[key] = converted
    return out


def _parse(text: str, fmt: DocumentFormat) -> dict[str, Any]:
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise CalendarDataError("document", f"invalid JSON: {err}") from None
        if not isinstance(data, dict):
            raise CalendarDataError("document", "must be a JSON object {year, holidays, workdays}")
        return _json_dates(data)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CalendarDataError("document", f"invalid TOML: {err}") from None


def parse_year_document(text: str, fmt: DocumentFormat | None = None) -> YearSchedule:
    """Validate one year's schedule (TOML or JSON text; the format is detected if not given)."""
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise CalendarDataError("document", f"larger than {MAX_DOCUMENT_BYTES // 1024} KiB")
    if not text.strip():
        raise CalendarDataError("document", "is empty")
    data = _parse(text, fmt or detect_format(text))
    calendar = calendar_from_year_table(data, require_holiday_names=True)
    (year,) = calendar.known_years
    if not calendar.days_off(year):
        raise CalendarDataError("holidays", "lists no day off; the notice names every one")
    return YearSchedule(year=year, calendar=calendar)


def schedule_from_table(table: Mapping[str, Any]) -> YearSchedule:
    """A stored table (``YearSchedule.table()``) back as a validated schedule."""
    calendar = calendar_from_year_table(_json_dates(dict(table)), require_holiday_names=True)
    (year,) = calendar.known_years
    return YearSchedule(year=year, calendar=calendar)
