"""Made-up holiday years for tests. Never a real schedule: the years lie far ahead (2031 and
later), every day is named as a fixture, and the blocks are arbitrary."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta

import httpx
from sqlalchemy import Engine, delete
from sqlmodel import Session

from db.models import CalendarYear
from tests.utils.api import login

FIXTURE_NAME = "fixture holiday (not a real schedule)"
FIXTURE_WORKDAY = "fixture workday (not a real schedule)"


def fixture_days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def fixture_toml(year: int, days_off: list[date], workdays: Sequence[date] = ()) -> str:
    """A year's schedule document in TOML, as an admin would load it."""
    holidays = ",\n  ".join(
        f'{{date = {d.isoformat()}, name = "{FIXTURE_NAME}"}}' for d in days_off
    )
    worked = ",\n  ".join(
        f'{{date = {d.isoformat()}, name = "{FIXTURE_WORKDAY}"}}' for d in workdays
    )
    return f"year = {year}\nholidays = [\n  {holidays}\n]\nworkdays = [\n  {worked}\n]\n"


def fixture_json(year: int, days_off: list[date], workdays: Sequence[date] = ()) -> str:
    """The same in JSON (dates as ISO strings)."""
    return json.dumps(
        {
            "year": year,
            "holidays": [{"date": d.isoformat(), "name": FIXTURE_NAME} for d in days_off],
            "workdays": [{"date": d.isoformat(), "name": FIXTURE_WORKDAY} for d in workdays],
        }
    )


@contextmanager
def no_loaded_years(engine: Engine) -> Iterator[None]:
    """The test database keeps no loaded year before or after (it is shared by the session)."""
    with Session(engine) as session:
        session.exec(delete(CalendarYear))
        session.commit()
    try:
        yield
    finally:
        with Session(engine) as session:
            session.exec(delete(CalendarYear))
            session.commit()


async def put_year(
    api: httpx.AsyncClient, year: int, text: str, content_type: str = "application/toml"
) -> httpx.Response:
    """PUT /api/v1/calendar/years/{year} as the admin."""
    admin = await login(api, "admin")
    return await api.put(
        f"/api/v1/calendar/years/{year}",
        content=text.encode(),
        headers={**admin, "Content-Type": content_type},
    )
