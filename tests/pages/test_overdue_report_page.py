"""A supervisor records the facts of an employer that never reported, in the task page; the
workflow's own validation comes back beside the field with the input kept."""

from __future__ import annotations

import asyncio

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.pages.helpers import csrf_of, page_login
from tests.utils import factories as f
from tests.utils.api import advance_clock, case_when, login
from tests.utils.temporal import today


async def test_employer_report_overdue_form_shows_the_workflows_field_error(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    clerk = await login(api, "clerk")
    nid, sep = f.national_id(), await today(env)
    r = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    case_id = r.json()["case_id"]
    await case_when(api, clerk, case_id, "awaiting_employer_report")
    admin = await login(api, "admin")  # only admins move the simulated clock
    await advance_clock(api, admin, 20)
    params = {"case_id": case_id, "kind": "employer_report_overdue"}
    for _ in range(200):
        tasks = (await api.get("/api/v1/tasks", params=params, headers=clerk)).json()
        if tasks:
            break
        await asyncio.sleep(0.05)
    task_id = tasks[0]["task_id"]

    await page_login(api, "supervisor")
    page = await api.get(f"/staff/tasks/{task_id}")
    assert page.status_code == 200 and "单位逾期未申报" in page.text
    url, token = f"/staff/tasks/{task_id}/complete", csrf_of(page.text)
    bad_days = await api.post(
        url, data={"csrf_token": token, "form": "ordered", "outcome": "ordered", "days": "十"}
    )
    assert bad_days.status_code == 422 and 'id="err-days"' in bad_days.text
    no_reason = await api.post(
        url,
        data={
            "csrf_token": token,
            "form": "resolved",
            "outcome": "resolved",
            "contribution_months": "60",
            "reason": "单位已注销",
        },
    )
    assert no_reason.status_code == 422, no_reason.text
    assert 'id="err-reason_code"' in no_reason.text and "reason_code" in no_reason.text
    assert 'value="60"' in no_reason.text and "单位已注销" in no_reason.text
    done = await api.post(
        url,
        data={
            "csrf_token": token,
            "form": "resolved",
            "outcome": "resolved",
            "reason_code": "dissolved",
            "contribution_months": "60",
            "reason": "单位已注销",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == f"/staff/cases/{case_id}"
    await case_when(api, clerk, case_id, "in_review")
