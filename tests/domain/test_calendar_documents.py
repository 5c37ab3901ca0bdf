"""A year's official holiday schedule as a document an admin loads (DOMAIN.md "Stages and
deadlines": the calendar is data; a new year is validated before it is used). The years are
made up (2031 and later) and named as fixtures: never a real schedule."""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import CalendarDataError, default_calendar
from domain.calendar_documents import (
    MAX_DOCUMENT_BYTES,
    detect_format,
    parse_year_document,
    schedule_from_table,
)
from tests.utils.calendar_years import FIXTURE_NAME, fixture_days, fixture_json, fixture_toml

BLOCK = fixture_days(date(2031, 10, 1), 7)  # Wednesday to Tuesday
WORKED = [date(2031, 9, 27)]  # a Saturday


@pytest.mark.parametrize("render", [fixture_toml, fixture_json])
def test_a_year_in_toml_or_json_gives_the_same_schedule(render) -> None:
    """DOMAIN.md Stages and deadlines: TOML (as policy/holidays/) or JSON, the same data."""
    text = render(2031, BLOCK, WORKED)
    schedule = parse_year_document(text)
    assert schedule.year == 2031
    cal = default_calendar([schedule.calendar])
    assert cal.knows(2031) and cal.knows(2024)
    assert cal.is_working_day(date(2031, 10, 6)) is False  # a Monday in the block
    assert cal.holiday_name(date(2031, 10, 1)) == FIXTURE_NAME
    assert cal.is_working_day(date(2031, 9, 27)) is True  # Saturday worked
    assert cal.next_working_day(date(2031, 10, 1)) == date(2031, 10, 8)
    table = schedule.table()
    assert table["holidays"][0] == {"date": "2031-10-01", "name": FIXTURE_NAME}
    assert len(table["holidays"]) == 7 and len(table["workdays"]) == 1
    assert schedule_from_table(table).table() == table  # stored and read back unchanged


def test_format_is_told_by_the_text() -> None:
    assert detect_format('  {"year": 2031}') == "json"
    assert detect_format("year = 2031") == "toml"


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ("year = 2031\nholidays = [2031-10-01]", "holidays[0]", "needs a name"),
        (
            'year = 2031\nholidays = [{date = 2031-10-01, name = ""}]',
            "holidays[0]",
            "name must be",
        ),
        (
            'year = 2031\nholidays = [{date = 2032-01-01, name = "x"}]',
            "holidays[0]",
            "not in 2031",
        ),
        (
            'year = 2031\nholidays = [{date = 2031-10-01, name = "x"},'
            ' {date = 2031-10-01, name = "y"}]',
            "holidays[1]",
            "listed twice",
        ),
        (
            'year = 2031\nholidays = [{date = 2031-10-04, name = "x"}]\n'
            'workdays = [{date = 2031-10-05, name = "w"}, {date = 2031-10-04, name = "w"}]',
            "workdays[1]",
            "also listed as a holiday",
        ),
        ('year = 2031\nworkdays = [{date = 2031-10-06, name = "w"}]', "workdays[0]", "weekday"),
        ('year = 2031\nholidays = [{day = 2031-10-01, name = "x"}]', "holidays[0]", "unknown key"),
        ("year = 2031\nholidays = 3", "holidays", "list"),
        ("year = 2031\nholidays = []", "holidays", "no day off"),
        ("year = 2031\nholidays = [", "document", "invalid TOML"),
        ("", "document", "empty"),
        (
            '{"year": 2031, "holidays": [{"date": "2031-02-30", "name": "x"}]}',
            "holidays[0]",
            "not a date",
        ),
        (
            '{"year": 2031, "holidays": [{"date": "31.10.2031", "name": "x"}]}',
            "holidays[0]",
            "not a date",
        ),
        ('{"year": "2031"}', "year", "must be a year"),
        ('{"year": 2031,', "document", "invalid JSON"),
        ("[1, 2]", "document", "invalid TOML"),
        ('{"year": 2031, "holiday": []}', "holiday", "unknown key"),
    ],
)
def test_a_bad_document_is_refused_naming_the_entry(text: str, key: str, says: str) -> None:
    """DOMAIN.md Stages and deadlines: every date in the year, named holidays, no duplicates,
    workdays are weekend days and never holidays; the refusal names the entry."""
    with pytest.raises(CalendarDataError) as err:
        parse_year_document(text)
    assert err.value.key == key
    assert says in str(err.value)


def test_a_json_array_is_refused_as_json_when_told_so() -> None:
    with pytest.raises(CalendarDataError) as err:
        parse_year_document("[1, 2]", "json")
    assert err.value.key == "document" and "JSON object" in err.value.reason


def test_an_oversized_document_is_refused() -> None:
    text = "# " + "x" * MAX_DOCUMENT_BYTES + "\nyear = 2031\n"
    with pytest.raises(CalendarDataError) as err:
        parse_year_document(text)
    assert err.value.key == "document" and "KiB" in err.value.reason
