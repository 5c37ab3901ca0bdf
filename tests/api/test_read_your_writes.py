"""Issue 9 §2, ARCHITECTURE.md: a 2xx answer means the change is already visible. Each write
below is followed at once (no sleep, no polling) by a GET of the case and of its tasks that
must show it, 50 times in a row, on the time-skipping server: the employer's report, the
registration, the review's approval (and a check-in sent the moment the case is `active`),
a check-in, a deadline extension.

Claimants of both sexes and of ages from 26 to 58 (working age, none past retirement)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import eventually, tasks_of, today

ROUNDS = 50
PEOPLE = [
    ("man", date(1968, 3, 2)),
    ("woman", date(1982, 7, 9)),
    ("man", date(1975, 1, 30)),
    ("woman", date(1990, 11, 5)),
    ("man", date(1990, 4, 12)),
    ("woman", date(2000, 2, 29)),
]


def person(i: int) -> str:
    sex, birth = PEOPLE[i % len(PEOPLE)]
    return f.national_id_of(sex, birth)


async def _case(api: httpx.AsyncClient, h: dict[str, str], case_id: str) -> dict[str, Any]:
    resp = await api.get(f"/api/v1/cases/{case_id}", headers=h)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def _tasks(api: httpx.AsyncClient, h: dict[str, str], case_id: str) -> list[Any]:
    resp = await api.get("/api/v1/tasks", params={"case_id": case_id}, headers=h)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def _types(case: dict[str, Any]) -> list[str]:
    return [e["type"] for e in case["events"]]


async def _report(api: httpx.AsyncClient, h: dict[str, str], nid: str, sep: date) -> str:
    resp = await api.post(
        "/api/v1/employer-reports", json=f.employer_report_json(nid, sep), headers=h
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["case_id"])


async def _register(api: httpx.AsyncClient, h: dict[str, str], nid: str, sep: date) -> str:
    resp = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=h)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["case_id"])


async def _in_review(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine, h: dict[str, str], i: int
) -> str:
    """A case in review with its review task (set-up: waits for them, so that the writes
    under test are the only ones read without waiting)."""
    nid, sep = person(i), (await today(env)) - timedelta(days=3)
    case_id = await _report(api, h, nid, sep)
    await _register(api, h, nid, sep)
    await case_when(api, h, case_id, "in_review")
    await eventually(
        lambda: tasks_of(engine, case_id), lambda ts: [t.kind for t in ts] == ["review_claim"]
    )
    return case_id


async def test_intake_answers_once_the_case_shows_it(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """Report then registration, or the other way round: after each 201 the case is there
    with the submission and its consequences (status, deadlines, the review task)."""
    h = await login(api, "clerk")
    now = await today(env)
    sep = now - timedelta(days=3)
    for i in range(ROUNDS):
        nid = person(i)
        if i % 2 == 0:
            case_id = await _report(api, h, nid, sep)
            case = await _case(api, h, case_id)
            assert case["status"] == "awaiting_registration", (i, case["status"])
            assert case["employer_report_received"] == now.isoformat()
            assert "employer_report_received" in _types(case)
            assert case["deadlines"]["registration"] is not None
            assert await _register(api, h, nid, sep) == case_id
        else:
            case_id = await _register(api, h, nid, sep)
            case = await _case(api, h, case_id)
            assert case["status"] == "awaiting_employer_report", (i, case["status"])
            assert case["registration_date"] == now.isoformat()
            assert "registration_received" in _types(case)
            assert case["deadlines"]["employer_report"] is not None
            assert await _report(api, h, nid, sep) == case_id
        case = await _case(api, h, case_id)
        assert case["status"] == "in_review", (i, case["status"])
        assert case["proposal"] is not None and case["deadlines"]["review"] is not None
        assert {"employer_report_received", "registration_received"} <= set(_types(case))
        tasks = await _tasks(api, h, case_id)
        assert [(t["kind"], t["status"]) for t in tasks] == [("review_claim", "open")], i
        assert [t["kind"] for t in case["tasks"]] == ["review_claim"]


async def test_approval_and_the_first_check_in_are_visible_at_once(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """After the approval's 200 the case is `active` with its entitlement and the task is
    completed; a check-in sent that moment is accepted (201), and the next GET shows it
    checked in and owed."""
    clerk, rev = await login(api, "clerk"), await login(api, "reviewer")
    for i in range(ROUNDS):
        case_id = await _in_review(api, env, engine, clerk, i)
        (task,) = await _tasks(api, rev, case_id)
        done = await api.post(
            f"/api/v1/tasks/{task['task_id']}/complete", json={"outcome": "approve"}, headers=rev
        )
        assert done.status_code == 200, done.text
        case = await _case(api, clerk, case_id)
        assert case["status"] == "active", (i, case["status"])
        assert case["entitlement"] is not None and case["decision"]["outcome"] == "approve"
        assert "task_completed" in _types(case)
        assert [t["status"] for t in await _tasks(api, rev, case_id)] == ["completed"]

        checked = await api.post(f"/api/v1/cases/{case_id}/check-ins", json={}, headers=clerk)
        assert checked.status_code == 201, (i, checked.text)
        assert checked.json()["month"] == 1
        case = await _case(api, clerk, case_id)
        assert "checked_in" in _types(case), i
        assert [(p["month"], p["status"]) for p in case["payments"]] == [(1, "pending")], i


async def test_deadline_extensions_are_visible_at_once(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """Five cases in review, ten one-day extensions each: after each 200 the case's review
    deadline, its event and the review task's due time have moved."""
    clerk, sup = await login(api, "clerk"), await login(api, "supervisor")
    cases = [await _in_review(api, env, engine, clerk, i) for i in range(5)]
    for n in range(ROUNDS):
        case_id = cases[n % len(cases)]
        before = await _case(api, clerk, case_id)
        (task_before,) = await _tasks(api, clerk, case_id)
        resp = await api.post(
            f"/api/v1/cases/{case_id}/deadlines/review/extend",
            json={"days": 1, "reason": f"records pending ({n})"},
            headers=sup,
        )
        assert resp.status_code == 200, resp.text
        due = resp.json()["due_date"]
        was = date.fromisoformat(before["deadlines"]["review"])
        assert due == (was + timedelta(days=1)).isoformat()
        case = await _case(api, clerk, case_id)
        assert case["deadlines"]["review"] == due, n
        extended = [e for e in case["events"] if e["type"] == "deadline_extended"]
        assert len(extended) == n // len(cases) + 1, n
        (task,) = await _tasks(api, clerk, case_id)
        assert task["due_at"] > task_before["due_at"], n
