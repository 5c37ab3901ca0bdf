"""Task completion data is checked at the door, naming the field, and again by the workflow's
Update validator: bad data never reaches workflow code (issue 9 §5). A rejection needs only
its reason; the reason codes default from the failed pre-checks (ARCHITECTURE.md)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import JsonValue
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from payloads.errors import INVALID_OUTCOME
from payloads.tasks import CompleteTaskInput
from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import today
from workflows import ids
from workflows.claim import ClaimWorkflow


async def _task(api: httpx.AsyncClient, h: dict[str, str], case_id: str, kind: str) -> Any:
    for _ in range(600):  # a generous bound for a loaded machine, not a timing check
        resp = await api.get("/api/v1/tasks", params={"case_id": case_id, "kind": kind}, headers=h)
        if resp.json():
            return resp.json()[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind} task for {case_id}")


async def test_an_unknown_key_in_an_overdue_report_completion_is_422_and_the_case_goes_on(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """`{"actor": ...}` once reached the workflow and raised TypeError on every retry of its
    task, wedging the case. Now: 422 naming data.actor, the task still open; the Update
    validator refuses it too; the right data then resolves it and the case goes on."""
    clerk, sup = await login(api, "clerk"), await login(api, "supervisor")
    nid, sep = f.national_id(), (await today(env)) - timedelta(days=20)
    r = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    case_id = r.json()["case_id"]
    task = await _task(api, sup, case_id, "employer_report_overdue")
    url = f"/api/v1/tasks/{task['task_id']}/complete"
    facts: dict[str, JsonValue] = {"reason_code": "layoff", "contribution_months": 30}
    bad = await api.post(
        url, json={"outcome": "resolved", "data": {**facts, "actor": "mallory"}}, headers=sup
    )
    assert bad.status_code == 422, bad.text
    assert bad.json()["detail"][0]["loc"] == ["body", "data", "actor"]
    still = await api.get(f"/api/v1/tasks/{task['task_id']}", headers=sup)
    assert still.json()["status"] == "open"
    with pytest.raises(WorkflowUpdateFailedError) as refused:  # past the API: the validator
        await env.client.get_workflow_handle(ids.case(case_id)).execute_update(
            ClaimWorkflow.complete_task,
            CompleteTaskInput(
                task_id=task["task_id"],
                outcome="resolved",
                actor="supervisor",
                actor_roles=["supervisor"],
                data={**facts, "actor": "mallory"},
            ),
        )
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == INVALID_OUTCOME
    assert cause.details == ("data.actor",)
    ok = await api.post(url, json={"outcome": "resolved", "data": facts}, headers=sup)
    assert ok.status_code == 200, ok.text
    case = await case_when(api, clerk, case_id, "in_review")
    recorded = [e for e in case["events"] if e["type"] == "employer_facts_recorded"]
    assert recorded and recorded[0]["data"] == facts


async def test_completion_data_is_typed_at_the_door(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    clerk, rev = await login(api, "clerk"), await login(api, "reviewer")
    nid, sep = f.national_id(), await today(env)
    await api.post("/api/v1/employer-reports", json=f.employer_report_json(nid, sep), headers=clerk)
    r = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    task = await _task(api, rev, r.json()["case_id"], "review_claim")
    url = f"/api/v1/tasks/{task['task_id']}/complete"
    for data, field in (
        ({"contribution_months": "many"}, "contribution_months"),
        ({"contribution_months": 10_000}, "contribution_months"),
        ({"reasons": ["nonsense"]}, "reasons"),
    ):
        resp = await api.post(
            url, json={"outcome": "approve", "reason": "x", "data": data}, headers=rev
        )
        assert resp.status_code == 422, resp.text
        assert resp.json()["detail"][0]["loc"] == ["body", "data", field]


@pytest.mark.parametrize(
    ("reason_code", "expected"),
    [("voluntary_resignation", ["voluntary_separation"]), ("layoff", ["other"])],
)
async def test_a_rejection_with_only_its_reason_takes_the_failed_prechecks_as_reasons(
    api: httpx.AsyncClient, env: WorkflowEnvironment, reason_code: str, expected: list[str]
) -> None:
    """The REST contract: `reject` needs `reason`; `data.reasons` defaults from the failed
    pre-checks (社会保险法 art. 45), `other` when none failed. The notice prints them."""
    clerk, rev = await login(api, "clerk"), await login(api, "reviewer")
    nid, sep = f.national_id(), await today(env)
    report = f.employer_report_json(nid, sep, reason_code=reason_code)
    await api.post("/api/v1/employer-reports", json=report, headers=clerk)
    r = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    case_id = r.json()["case_id"]
    task = await _task(api, rev, case_id, "review_claim")
    done = await api.post(
        f"/api/v1/tasks/{task['task_id']}/complete",
        json={"outcome": "reject", "reason": "见说明 / see the file"},
        headers=rev,
    )
    assert done.status_code == 200, done.text
    case = await case_when(api, clerk, case_id, "rejected")
    assert case["decision"]["reasons"] == expected
    review = next(d for d in case["determinations"] if d["kind"] == "review")
    assert review["reasons"] == expected
    notice = await api.get(f"/api/v1/cases/{case_id}/notice", headers=clerk)
    assert notice.status_code == 200
