"""The supervisor page: an overdue review lands in the escalation queue and is reassigned."""

from __future__ import annotations

import asyncio

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.pages.helpers import case_in_review, csrf_of, page_login, table_row_of
from tests.utils.api import advance_clock, login


async def test_supervisor_reassigns_an_escalated_review_to_a_reviewer(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    clerk = await login(api, "clerk")
    case_id, nid, task_id = await case_in_review(api, env, clerk)
    admin = await login(api, "admin")  # only admins move the simulated clock
    await advance_clock(api, admin, 25)
    for _ in range(200):
        task = (await api.get(f"/api/v1/tasks/{task_id}", headers=clerk)).json()
        if task["escalated"]:
            break
        await asyncio.sleep(0.05)
    assert task["escalated"] and task["group"] == "supervisor"

    await page_login(api, "reviewer")
    waiting = await api.get(f"/staff/tasks/{task_id}")
    assert 'id="approve-form"' not in waiting.text  # escalated: not theirs to decide yet
    api.cookies.clear()

    await page_login(api, "supervisor")
    page = await api.get("/staff/supervisor")
    assert page.status_code == 200
    assert nid not in page.text  # masked
    # its own row only: other tests' escalated tasks (another group's) share the database
    row = table_row_of(page.text, f'name="task_id" value="{task_id}"')
    assert "已逾期" in row
    assert 'value="reviewer"' in row and 'value="clerk"' not in row
    token = csrf_of(page.text)
    empty = await api.post(
        "/staff/supervisor/assign", data={"csrf_token": token, "task_id": task_id}
    )
    assert empty.status_code == 422 and 'id="err-assignee"' in empty.text
    wrong = await api.post(
        "/staff/supervisor/assign",
        data={"csrf_token": token, "task_id": task_id, "assignee": "clerk", "reason": "忙"},
    )
    assert wrong.status_code == 422 and "may not work" in wrong.text and 'value="忙"' in wrong.text
    ok = await api.post(
        "/staff/supervisor/assign",
        data={"csrf_token": token, "task_id": task_id, "assignee": "reviewer", "reason": "回原组"},
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/staff/supervisor"
    assert "已指派给 李审核" in (await api.get("/staff/supervisor")).text
    api.cookies.clear()

    await page_login(api, "reviewer")
    mine = await api.get("/staff/my")
    assert f"/staff/tasks/{task_id}" in mine.text and "已逾期" in mine.text
    assert 'id="approve-form"' in (await api.get(f"/staff/tasks/{task_id}")).text
    case_page = await api.get(f"/staff/cases/{case_id}")
    assert "指派任务" in case_page.text and "回原组" in case_page.text  # in the audit trail
