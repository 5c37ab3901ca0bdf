"""A reviewer's decision, made through the API on the time-skipping server, prints as the
matching notice: the read model and determination the workflow writes are what it reads."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import today


async def _review_task(
    api: httpx.AsyncClient, env: WorkflowEnvironment, h: dict[str, str], **over: Any
) -> tuple[str, str]:
    nid, sep = f.national_id(), (await today(env)) - timedelta(days=2)
    r = await api.post(
        "/api/v1/employer-reports", json=f.employer_report_json(nid, sep, **over), headers=h
    )
    case_id = r.json()["case_id"]
    await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=h)
    params = {"case_id": case_id, "kind": "review_claim"}
    for _ in range(300):
        tasks = (await api.get("/api/v1/tasks", params=params, headers=h)).json()
        if tasks:
            return case_id, tasks[0]["task_id"]
        await asyncio.sleep(0.05)
    raise AssertionError("no review task")


async def test_approved_and_rejected_reviews_print_their_notices(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    clerk, rev = await login(api, "clerk"), await login(api, "reviewer")
    approved, task = await _review_task(api, env, clerk)
    early = await api.get(f"/api/v1/cases/{approved}/notice", headers=rev)
    assert early.status_code == 404 and "no review decision yet" in early.json()["detail"]
    body = {"outcome": "approve", "reason": "payroll records", "data": {"contribution_months": 80}}
    done = await api.post(f"/api/v1/tasks/{task}/complete", json=body, headers=rev)
    assert done.status_code == 200, done.text
    case = await case_when(api, clerk, approved, "active")
    html = (await api.get(f"/api/v1/cases/{approved}/notice", headers=clerk)).text
    ent = case["entitlement"]
    assert "失业保险待遇核定通知书" in html and "长春市" in html
    assert f"{ent['months']} 个月" in html and ent["monthly_amount"] in html
    assert "80 个月" in html and "由 72 个月更正" in html
    assert f"{approved}:review" in html

    rejected, task = await _review_task(api, env, clerk, contribution_months=6)
    body = {"outcome": "reject", "reason": "6 个月", "data": {"reasons": ["other"]}}
    done = await api.post(f"/api/v1/tasks/{task}/complete", json=body, headers=rev)
    assert done.status_code == 200, done.text
    await case_when(api, clerk, rejected, "rejected")
    resp = await api.get(f"/api/v1/cases/{rejected}/notice.pdf", headers=clerk)
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF-")
    html = (await api.get(f"/api/v1/cases/{rejected}/notice", headers=clerk)).text
    assert "失业保险待遇不予核定通知书" in html and "其他原因（见说明）" in html
    assert "说明：6 个月" in html
