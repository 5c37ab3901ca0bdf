"""Completing tasks through the API: the workflow's Update validator decides (ARCHITECTURE.md
"Human tasks"), and the API maps its answers to 403 / 404 / 409 / 422."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.utils import factories as f
from tests.utils.api import advance_clock, case_when, login
from tests.utils.temporal import today
from workflows import ids


async def _task(api: httpx.AsyncClient, h: dict[str, str], case_id: str, kind: str) -> Any:
    async def fetch() -> list[dict[str, Any]]:
        resp = await api.get("/api/v1/tasks", params={"case_id": case_id, "kind": kind}, headers=h)
        return list(resp.json())

    for _ in range(300):
        found = await fetch()
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind} task for {case_id}")


async def test_late_registration_decided_by_supervisor_with_every_error_mapped(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """Stage 2 late registration: only a supervisor decides, with a reason (DOMAIN.md 2)."""
    clerk, sup = await login(api, "clerk"), await login(api, "supervisor")
    nid, sep = f.national_id(), await today(env)
    r = await api.post(
        "/api/v1/employer-reports", json=f.employer_report_json(nid, sep), headers=clerk
    )
    case_id = r.json()["case_id"]
    await case_when(api, clerk, case_id, "awaiting_registration")
    admin = await login(api, "admin")  # only admins move the simulated clock
    await advance_clock(api, admin, 35)
    await case_when(api, clerk, case_id, "lapsed")
    r = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    assert r.status_code == 201 and r.json()["case_id"] == case_id
    task = await _task(api, sup, case_id, "late_registration")
    assert task["group"] == "supervisor" and task["status"] == "open"
    url = f"/api/v1/tasks/{task['task_id']}/complete"

    wrong_role = await api.post(url, json={"outcome": "accept", "reason": "x"}, headers=clerk)
    assert wrong_role.status_code == 403, wrong_role.text
    wrong_outcome = await api.post(url, json={"outcome": "approve", "reason": "x"}, headers=sup)
    assert wrong_outcome.status_code == 422
    assert wrong_outcome.json()["detail"][0]["loc"] == ["body", "outcome"]
    no_reason = await api.post(url, json={"outcome": "accept"}, headers=sup)
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    unknown = await api.post(
        "/api/v1/tasks/nope/complete", json={"outcome": "accept", "reason": "x"}, headers=sup
    )
    assert unknown.status_code == 404

    first, second = await asyncio.gather(
        api.post(url, json={"outcome": "accept", "reason": "in hospital"}, headers=sup),
        api.post(url, json={"outcome": "refuse", "reason": "no proof"}, headers=sup),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first, second)
    winner = first if first.status_code == 200 else second
    assert winner.json()["status"] == "completed"
    again = await api.post(url, json={"outcome": "accept", "reason": "x"}, headers=sup)
    assert again.status_code == 409
    expected = "in_review" if winner.json()["outcome"] == "accept" else "lapsed"
    case = await case_when(api, clerk, case_id, expected)
    assert any(e["type"] == "task_completed" and e["actor"] == "supervisor" for e in case["events"])


async def test_completing_a_task_whose_case_workflow_closed_is_409(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """Temporal answers "update not found" for a closed workflow: a 409, not a 500."""
    clerk, sup = await login(api, "clerk"), await login(api, "supervisor")
    nid, sep = f.national_id(), (await today(env)) - timedelta(days=20)
    r = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    case_id = r.json()["case_id"]
    task = await _task(api, sup, case_id, "employer_report_overdue")
    await env.client.get_workflow_handle(ids.case(case_id)).terminate("test: closed meanwhile")
    resp = await api.post(
        f"/api/v1/tasks/{task['task_id']}/complete", json={"outcome": "ordered"}, headers=sup
    )
    assert resp.status_code == 409, resp.text


async def test_claim_then_someone_else_cannot_claim_or_complete(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """A claimed task belongs to its holder until unclaimed."""
    clerk, sup = await login(api, "clerk"), await login(api, "supervisor")
    nid, sep = f.national_id(), (await today(env)) - timedelta(days=20)
    r = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    task = await _task(api, sup, r.json()["case_id"], "employer_report_overdue")
    url = f"/api/v1/tasks/{task['task_id']}"
    assert (await api.post(url + "/claim", headers=clerk)).status_code == 403
    claimed = await api.post(url + "/claim", headers=sup)
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "supervisor"
    assert (await api.post(url + "/claim", headers=sup)).status_code == 409
    unclaimed = await api.post(url + "/unclaim", headers=sup)
    assert unclaimed.json()["status"] == "open" and unclaimed.json()["assignee"] is None
    done = await api.post(
        url + "/complete",
        json={"outcome": "resolved", "data": {"reason_code": "layoff", "contribution_months": 30}},
        headers=sup,
    )
    assert done.status_code == 200, done.text
    case = await case_when(api, clerk, r.json()["case_id"], "in_review")
    assert case["proposal"]["months"] == 12


async def test_resolving_overdue_report_without_facts_is_422(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """Without the employer's report a supervisor must record the facts it would carry."""
    clerk, sup = await login(api, "clerk"), await login(api, "supervisor")
    nid, sep = f.national_id(), (await today(env)) - timedelta(days=20)
    r = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    task = await _task(api, sup, r.json()["case_id"], "employer_report_overdue")
    resp = await api.post(
        f"/api/v1/tasks/{task['task_id']}/complete", json={"outcome": "resolved"}, headers=sup
    )
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "data", "reason_code"]
