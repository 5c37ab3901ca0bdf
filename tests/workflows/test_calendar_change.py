"""Loading a year's holiday schedule recomputes the provisional deadlines of running cases
(DOMAIN.md "Stages and deadlines"; 民法典 art. 203), on the time-skipping server with the
real app, worker and database. The years (2031-2033) and their holiday blocks are made up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from db.models import CaseEvent, Task
from domain.calendar import AGENCY_TZ
from domain.deadlines import deadline_expiry
from payloads.case_io import ExtendDeadlineInput
from tests.utils import factories as f
from tests.utils.api import login
from tests.utils.calendar_years import fixture_days, fixture_toml, no_loaded_years, put_year
from tests.utils.temporal import case_row, eventually, signal_case, state_when
from workflows.claim import ClaimWorkflow

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
async def _clean(engine: Engine) -> AsyncIterator[None]:
    with no_loaded_years(engine):
        yield


async def _advance_to(env: WorkflowEnvironment, instant: datetime) -> None:
    await env.sleep(instant - await env.get_current_time())


def _events(engine: Engine, case_id: str, type_: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.exec(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.type == type_)
            .order_by(col(CaseEvent.seq))
        ).all()
    return [r.data for r in rows]


async def _load(api: httpx.AsyncClient, year: int, text: str) -> dict[str, Any]:
    resp = await put_year(api, year, text)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_loading_the_year_moves_a_provisional_registration_deadline_and_its_lapse(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> None:
    """Stage 2 (30 days from the notice) due on 2031-10-08, counted with weekends only; the
    loaded (made-up) 2031 has days off 10-06..10-10, so art. 203 moves it to Monday 10-13:
    the event says from/to/why, the case lapses after the new day, not the old one. A case
    provisional only in 2032 is left alone."""
    nid, notice = f.national_id(), date(2031, 9, 8)
    case_a = "cal1" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_a, f.employer_report(nid, notice))
    s = await state_when(h, lambda s: "registration" in s.deadlines)
    dl = s.deadlines["registration"]
    assert (dl.due_date, dl.provisional, dl.provisional_years) == (date(2031, 10, 8), True, [2031])
    nid_b = f.national_id()
    case_b = "cal2" + nid_b[-6:]
    hb = await signal_case(
        env.client, task_queue, case_b, f.employer_report(nid_b, date(2032, 3, 1))
    )
    sb = await state_when(hb, lambda s: "registration" in s.deadlines)
    assert sb.deadlines["registration"].provisional_years == [2032]
    row = await eventually(
        lambda: case_row(engine, case_a), lambda r: r is not None and r.provisional_years == "2031"
    )
    assert row is not None and row.deadline_details["registration"]["provisional"] is True
    clerk = await login(api, "clerk")
    case = (await api.get(f"/api/v1/cases/{case_a}", headers=clerk)).json()
    assert case["deadlines"]["registration"] == "2031-10-08"
    assert case["deadlines_provisional"] == {
        "employer_report": True,  # met, but it was computed without 2031 too
        "registration": True,
        "review": False,
    }

    loaded = await _load(api, 2031, fixture_toml(2031, fixture_days(date(2031, 10, 6), 5)))
    assert loaded["source"] == "loaded" and loaded["cases_signalled"] == 1

    s = await state_when(h, lambda s: not s.deadlines["registration"].provisional)
    assert s.deadlines["registration"].due_date == date(2031, 10, 13)
    assert s.deadlines["registration"].provisional_years == []
    (recomputed,) = await eventually(lambda: _events(engine, case_a, "deadline_recomputed"))
    assert recomputed["kind"] == "registration"
    assert (recomputed["from"], recomputed["to"]) == ("2031-10-08", "2031-10-13")
    assert "2031" in recomputed["why"] and "loaded" in recomputed["why"]
    case = (await api.get(f"/api/v1/cases/{case_a}", headers=clerk)).json()
    assert case["deadlines"]["registration"] == "2031-10-13"
    assert case["deadlines_provisional"]["registration"] is False
    assert case["deadline_details"]["registration"]["provisional"] is False
    assert case_row(engine, case_a).provisional_years is None  # type: ignore[union-attr]
    # the other case's deadline is in 2032: not told, still provisional
    sb = await state_when(hb, lambda s: True)
    assert (
        sb.deadlines["registration"].provisional
        and _events(engine, case_b, "deadline_recomputed") == []
    )

    # the timer follows: past the old day the case still waits, past the new one it lapses
    await _advance_to(env, deadline_expiry(date(2031, 10, 8)) + timedelta(hours=6))
    s = await state_when(h, lambda s: True)
    assert s.status == "awaiting_registration"
    await _advance_to(env, deadline_expiry(date(2031, 10, 13)) + timedelta(hours=1))
    s = await state_when(h, lambda s: s.status == "lapsed")
    missed = await eventually(lambda: _events(engine, case_a, "deadline_missed"))
    assert missed[-1] == {"kind": "registration", "due_date": "2031-10-13"}


async def test_loading_the_year_moves_the_review_task_derived_from_a_provisional_deadline(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> None:
    """Stage 3 (15 days from acceptance, seed 002 art. 9) accepted on 2033-09-20: due 10-05,
    provisional; a supervisor extends it by 2 days (10-07); the review task follows and shows
    `provisional` in the worklist. The loaded (made-up) 2033 has days off 10-01..10-07 and
    Saturday 10-08 worked: the period ends 10-08, plus the extension 10-10; the task's due
    time moves with it, and the task escalates only after the new time."""
    await _advance_to(env, datetime(2033, 9, 20, 9, tzinfo=AGENCY_TZ))
    nid, sep = f.national_id(), date(2033, 9, 18)
    case_id = "cal3" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s = await state_when(h, lambda s: any(t.kind == "review_claim" for t in s.tasks.values()))
    assert s.deadlines["review"].due_date == date(2033, 10, 5)
    assert s.deadlines["review"].provisional
    task_id = next(t.task_id for t in s.tasks.values() if t.kind == "review_claim")
    reviewer = await login(api, "reviewer")

    async def task_json() -> dict[str, Any]:
        resp = await api.get("/api/v1/tasks", params={"case_id": case_id}, headers=reviewer)
        return next(t for t in resp.json() if t["task_id"] == task_id)

    await h.execute_update(
        ClaimWorkflow.extend_deadline,
        ExtendDeadlineInput(
            kind="review", days=2, reason="records", actor="sup", actor_roles=["supervisor"]
        ),
    )
    before = await task_json()
    assert before["provisional"] is True
    due = datetime.fromisoformat(before["due_at"].replace("Z", "+00:00"))
    assert due == deadline_expiry(date(2033, 10, 7))

    holidays = fixture_days(date(2033, 10, 1), 7)
    loaded = await _load(api, 2033, fixture_toml(2033, holidays, [date(2033, 10, 8)]))
    assert loaded["cases_signalled"] == 1

    s = await state_when(h, lambda s: not s.deadlines["review"].provisional)
    assert s.deadlines["review"].due_date == date(2033, 10, 10)
    assert s.tasks[task_id].due_at == deadline_expiry(date(2033, 10, 10))
    task = await eventually(
        lambda: _task(engine, task_id), lambda t: t is not None and not t.provisional
    )
    assert task is not None and task.due_at == deadline_expiry(date(2033, 10, 10))
    after = await task_json()
    assert after["provisional"] is False
    (recomputed,) = _events(engine, case_id, "deadline_recomputed")
    assert (recomputed["kind"], recomputed["from"], recomputed["to"]) == (
        "review",
        "2033-10-07",
        "2033-10-10",
    )
    # escalation follows the new due time
    await _advance_to(env, deadline_expiry(date(2033, 10, 8)) + timedelta(hours=6))
    s = await state_when(h, lambda s: True)
    assert not s.tasks[task_id].escalated
    await _advance_to(env, deadline_expiry(date(2033, 10, 10)) + timedelta(hours=1))
    await state_when(h, lambda s: s.tasks[task_id].escalated)


def _task(engine: Engine, task_id: str) -> Task | None:
    with Session(engine) as session:
        return session.get(Task, task_id)
