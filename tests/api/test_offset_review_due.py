"""Issue 11 §4: an offset request's `recovery_offset_review` task is due after the period the
later case's region sets (policy periods.task_deadlines: 5 working days through the holiday
calendar, as the statutory deadlines count them), shown on the worklist, reminded before, and
escalated when overdue, like every task."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import httpx
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from db.calendar_years import LiveCalendar
from domain.deadlines import compute_deadline, deadline_expiry
from policy import PolicyBook
from tests.api.test_recoveries_api import KIND, _case, _owe
from tests.utils.api import login
from tests.utils.factories import national_id_of
from tests.utils.temporal import advance, eventually, tasks_of, today


async def _task(api: httpx.AsyncClient, h: dict[str, str], task_id: str) -> dict[str, object]:
    listed = await api.get("/api/v1/tasks", params={"kind": KIND}, headers=h)
    assert listed.status_code == 200, listed.text
    [task] = [t for t in listed.json() if t["task_id"] == task_id]
    return dict(task)


async def test_an_offset_request_is_due_in_five_working_days_and_escalates_when_overdue(
    api: httpx.AsyncClient,
    engine: Engine,
    settings: Settings,
    env: WorkflowEnvironment,
    book: PolicyBook,
) -> None:
    finance, supervisor = await login(api, "finance"), await login(api, "supervisor")
    nid = national_id_of("man", date(1971, 4, 4))
    first = _case(engine, settings, nid)
    body = {"case_id": first, "cause": "error", "amount": "300.00", "evidence": "复核单 77"}
    rid = (await api.post("/api/v1/recoveries", json=body, headers=finance)).json()["recovery_id"]
    later = _case(engine, settings, nid, status="active")
    _owe(engine, later, "benefit", 1, "755.00")
    asked_on = await today(env)
    asked = await api.post(
        f"/api/v1/recoveries/{rid}/offsets", json={"case_id": later}, headers=finance
    )
    assert asked.status_code == 201, asked.text
    task_id = asked.json()["task_id"]

    rule = book.region("220100").at(asked_on).task_deadlines[KIND]
    assert (rule.days, rule.day_kind) == (5, "working")
    calendar = LiveCalendar(engine).current(book.calendar)
    due = compute_deadline(asked_on, rule.days, rule.day_kind, calendar)
    assert due.due_date >= asked_on + timedelta(days=rule.days)  # working days: never sooner
    task = await _task(api, supervisor, task_id)  # on the worklist at once (the 201)
    assert task["due_at"] is not None
    assert datetime.fromisoformat(str(task["due_at"])) == deadline_expiry(due.due_date)
    assert task["provisional"] == due.provisional
    assert (task["escalated"], task["status"]) == (False, "open")

    # a day past the due date, undecided: overdue, escalated (flagged, the supervisors told)
    await advance(env, (due.due_date - asked_on).days + 1.5)
    [row] = await eventually(
        lambda: [t for t in tasks_of(engine, later) if t.task_id == task_id],
        lambda rows: bool(rows) and rows[0].escalated,
    )
    assert row.group == "supervisor" and row.escalated_at is not None
    task = await _task(api, supervisor, task_id)
    assert task["escalated"] is True and task["status"] == "open"
    done = await api.post(
        f"/api/v1/tasks/{task_id}/complete",
        json={"outcome": "refuse", "reason": "本人未同意"},
        headers=supervisor,
    )
    assert done.status_code == 200, done.text
