"""Issue 9 §4 at the clerk's desk: the report and the registration gave different separation
dates; the clerk chooses one on the task page (each date named by who gave it), a choice left
out comes back beside the field, and the case goes on with the chosen date."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.pages.helpers import csrf_of, page_login
from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import today


async def test_a_clerk_settles_the_separation_date_on_the_task_page(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    clerk = await login(api, "clerk")
    nid = f.national_id_of("man", date(1966, 10, 1))
    employer_says = (await today(env)) - timedelta(days=7)
    claimant_says = employer_says + timedelta(days=2)
    r1 = await api.post(
        "/api/v1/employer-reports", json=f.employer_report_json(nid, employer_says), headers=clerk
    )
    case_id = r1.json()["case_id"]
    r2 = await api.post(
        "/api/v1/registrations", json=f.registration_json(nid, claimant_says), headers=clerk
    )
    assert r2.json()["case_id"] == case_id, r2.text
    params = {"case_id": case_id, "kind": "separation_date_mismatch"}
    tasks: list[dict[str, str]] = []
    for _ in range(600):  # a generous bound for a loaded machine, not a timing check
        tasks = (await api.get("/api/v1/tasks", params=params, headers=clerk)).json()
        if tasks:
            break
        await asyncio.sleep(0.05)
    task_id = tasks[0]["task_id"]

    await page_login(api, "clerk")
    page = await api.get(f"/staff/tasks/{task_id}")
    assert page.status_code == 200 and "离职日期不一致" in page.text
    for day in (employer_says, claimant_says):
        assert f'value="{day.isoformat()}"' in page.text
    assert "用人单位申报" in page.text and "失业人员登记" in page.text
    url, token = f"/staff/tasks/{task_id}/complete", csrf_of(page.text)
    form = {"csrf_token": token, "form": "resolved", "outcome": "resolved", "reason": "合同为准"}
    none = await api.post(url, data=form)
    assert none.status_code == 422 and 'id="err-separation_date"' in none.text
    assert "合同为准" in none.text
    done = await api.post(url, data={**form, "separation_date": claimant_says.isoformat()})
    assert done.status_code == 303 and done.headers["location"] == f"/staff/cases/{case_id}"
    case = await case_when(api, clerk, case_id, "in_review")
    assert case["separation_date"] == claimant_says.isoformat()
    page = await api.get(f"/staff/cases/{case_id}")
    assert "离职日期不一致" in page.text and "确定离职日期" in page.text
