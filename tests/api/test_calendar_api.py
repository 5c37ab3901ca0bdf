"""The calendar API: the known years with their source, and an admin loading a year's
schedule, validated and refused with 422 naming the entry (DOMAIN.md "Stages and deadlines").
The loaded years are made up (2035 and later) and named as fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from db.models import AuditEntry
from tests.utils.api import login
from tests.utils.calendar_years import (
    FIXTURE_NAME,
    fixture_days,
    fixture_json,
    fixture_toml,
    no_loaded_years,
    put_year,
)

pytestmark = pytest.mark.asyncio
BLOCK = fixture_days(date(2035, 5, 1), 3)


@pytest.fixture(autouse=True)
async def _clean(engine: Engine) -> AsyncIterator[None]:
    with no_loaded_years(engine):
        yield


def _errors(resp: httpx.Response) -> list[tuple[list[str], str]]:
    return [(e["loc"], e["msg"]) for e in resp.json()["detail"]]


async def test_admin_loads_a_year_as_toml_and_everyone_sees_it_at_once(
    api: httpx.AsyncClient, engine: Engine
) -> None:
    """An admin loads a year; the very next GET lists it as loaded, with its days."""
    clerk = await login(api, "clerk")
    listed = (await api.get("/api/v1/calendar/years", headers=clerk)).json()
    by_year = {y["year"]: y for y in listed}
    assert by_year[2024]["source"] == "package" and by_year[2024]["holiday_count"] > 20
    assert 2035 not in by_year
    assert (await api.get("/api/v1/calendar/years/2035", headers=clerk)).status_code == 404

    doc = fixture_toml(2035, BLOCK, [date(2035, 4, 28)])
    resp = await put_year(api, 2035, doc)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["year"], body["source"], body["changed"]) == (2035, "loaded", True)
    assert (body["holiday_count"], body["workday_count"], body["loaded_by"]) == (3, 1, "admin")
    assert body["cases_signalled"] == 0
    detail = (await api.get("/api/v1/calendar/years/2035", headers=clerk)).json()
    assert detail["holidays"][0] == {"date": "2035-05-01", "name": FIXTURE_NAME}
    assert detail["workdays"] == [{"date": "2035-04-28", "name": detail["workdays"][0]["name"]}]
    listed = (await api.get("/api/v1/calendar/years", headers=clerk)).json()
    assert listed[0]["year"] == 2035 and listed[0]["version"] == body["version"]
    with Session(engine) as session:
        audit = session.exec(
            select(AuditEntry).where(
                AuditEntry.entity_type == "calendar_year", AuditEntry.entity_id == "2035"
            )
        ).all()
    assert [(a.actor, a.action) for a in audit] == [("admin", "calendar_year_loaded")]

    again = await put_year(api, 2035, doc)
    assert again.status_code == 200 and again.json()["changed"] is False
    assert again.json()["version"] == body["version"]


async def test_a_year_loads_as_json_too(api: httpx.AsyncClient) -> None:
    text = fixture_json(2036, fixture_days(date(2036, 2, 1), 2))
    resp = await put_year(api, 2036, text, "application/json")
    assert resp.status_code == 200, resp.text
    assert resp.json()["holidays"][1]["date"] == "2036-02-02"


@pytest.mark.parametrize(
    ("path_year", "text", "loc", "says"),
    [
        (2037, "year = 2037\nholidays = [2037-05-01]", "holidays[0]", "needs a name"),
        (
            2037,
            'year = 2037\nholidays = [{date = 2038-05-01, name = "x"}]',
            "holidays[0]",
            "not in 2037",
        ),
        (
            2037,
            'year = 2037\nworkdays = [{date = 2037-05-04, name = "x"}]',
            "workdays[0]",
            "weekday",
        ),
        (2037, 'year = 2038\nholidays = [{date = 2038-05-01, name = "x"}]', "year", "2038"),
        (2024, 'year = 2024\nholidays = [{date = 2024-05-01, name = "x"}]', "year", "package"),
        (2037, "year = 2037\nholidays = [", "document", "invalid TOML"),
    ],
)
async def test_a_bad_document_is_refused_with_422_naming_the_entry(
    api: httpx.AsyncClient, path_year: int, text: str, loc: str, says: str
) -> None:
    """Validated: dates in the year, named holidays, workdays on weekends, the year of the
    address, no year the package ships; nothing is stored on a refusal."""
    resp = await put_year(api, path_year, text)
    assert resp.status_code == 422, resp.text
    ((where, msg),) = _errors(resp)
    assert where == ["body", loc] and says in msg
    listed = (await api.get("/api/v1/calendar/years", headers=await login(api, "clerk"))).json()
    assert all(y["source"] != "loaded" for y in listed)


async def test_only_an_admin_loads_a_year(api: httpx.AsyncClient) -> None:
    text = fixture_toml(2039, fixture_days(date(2039, 5, 1), 1)).encode()
    for user in ("clerk", "supervisor", "reviewer"):
        resp = await api.put(
            "/api/v1/calendar/years/2039", content=text, headers=await login(api, user)
        )
        assert resp.status_code == 403, user
    assert (await api.put("/api/v1/calendar/years/2039", content=text)).status_code == 401
    admin = await login(api, "admin")
    bad = await api.put("/api/v1/calendar/years/2039", content=b"\xff\xfe", headers=admin)
    assert bad.status_code == 422 and "UTF-8" in bad.text
