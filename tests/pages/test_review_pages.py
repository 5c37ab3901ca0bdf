"""The worklist, task and case pages with a real case in review: masked IDs, filters, a form
error shown again with the input, the decision and its redirect, saved filters."""

from __future__ import annotations

import asyncio

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.pages.helpers import case_in_review, csrf_of, page_login
from tests.utils.api import case_when, login


async def test_reviewer_finds_claims_and_approves_a_claim_in_the_pages(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    clerk = await login(api, "clerk")
    case_id, nid, task_id = await case_in_review(api, env, clerk)
    await page_login(api, "reviewer")

    group = await api.get("/staff/group", params={"case_id": case_id})
    assert group.status_code == 200
    assert f"/staff/tasks/{task_id}" in group.text
    assert nid not in group.text and nid[:4] + "*" * 10 + nid[-4:] in group.text
    assert "待遇审核" in group.text  # the kind's label
    none = await api.get("/staff/group", params={"case_id": case_id, "kind": "missed_check_in"})
    assert f"/staff/tasks/{task_id}" not in none.text
    bad_date = await api.get("/staff/group", params={"due_before": "31.12.2026"})
    assert bad_date.status_code == 422 and 'value="31.12.2026"' in bad_date.text

    page = await api.get(f"/staff/tasks/{task_id}")
    assert page.status_code == 200 and nid not in page.text
    assert "系统预审" in page.text and "755.00" in page.text
    claimed = await api.post(
        f"/staff/tasks/{task_id}/claim", data={"csrf_token": csrf_of(page.text)}
    )
    assert claimed.status_code == 303
    mine = await api.get("/staff/my")
    assert f"/staff/tasks/{task_id}" in mine.text and "已领取任务" in mine.text

    page = await api.get(f"/staff/tasks/{task_id}")
    token = csrf_of(page.text)
    # (without a reason code ticked a rejection takes the failed pre-checks': domain/review.py)
    bad_reason = await api.post(
        f"/staff/tasks/{task_id}/complete",
        data={
            "csrf_token": token,
            "form": "reject",
            "outcome": "reject",
            "reason": "材料不全XYZ",
            "reasons": "no_such_reason",
        },
    )
    assert bad_reason.status_code == 422
    assert 'id="err-reasons"' in bad_reason.text and "材料不全XYZ" in bad_reason.text
    bad_months = await api.post(
        f"/staff/tasks/{task_id}/complete",
        data={
            "csrf_token": token,
            "form": "approve",
            "outcome": "approve",
            "contribution_months": "七十",
        },
    )
    assert bad_months.status_code == 422
    assert "请输入整数" in bad_months.text and 'value="七十"' in bad_months.text
    no_reason = await api.post(
        f"/staff/tasks/{task_id}/complete",
        data={
            "csrf_token": token,
            "form": "approve",
            "outcome": "approve",
            "contribution_months": "80",
        },
    )
    assert no_reason.status_code == 422 and 'id="err-reason"' in no_reason.text

    done = await api.post(
        f"/staff/tasks/{task_id}/complete",
        data={"csrf_token": token, "form": "approve", "outcome": "approve"},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/staff/cases/{case_id}"
    await case_when(api, clerk, case_id, "active")
    case_page = await api.get(f"/staff/cases/{case_id}")
    assert case_page.status_code == 200
    assert "任务已完成：核定" in case_page.text and "享受待遇中" in case_page.text
    assert "审计记录" in case_page.text and "task_claimed" not in case_page.text  # labelled
    assert "领取任务" in case_page.text and nid not in case_page.text
    assert f"/staff/cases/{case_id}/notice.pdf" in case_page.text
    notice = await api.get(f"/staff/cases/{case_id}/notice")
    assert notice.status_code == 200 and "失业保险待遇核定通知书" in notice.text
    pdf = await api.get(f"/staff/cases/{case_id}/notice.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    again = await api.post(
        f"/staff/tasks/{task_id}/complete",
        data={"csrf_token": token, "form": "approve", "outcome": "approve"},
    )
    assert again.status_code in (409, 422) or "此任务已完成" in again.text


async def test_a_filter_saved_in_the_pages_is_the_same_one_the_api_lists(
    api: httpx.AsyncClient,
) -> None:
    h = await login(api, "finance")
    await page_login(api, "finance")
    page = await api.get("/staff/group", params={"kind": "payment_returned", "escalated": "yes"})
    saved = await api.post(
        "/staff/filters",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "退回-升级",
            "scope": "group",
            "group": "finance",
            "kind": "payment_returned",
            "escalated": "yes",
            "status": "active",
            "sort": "priority",
        },
    )
    assert saved.status_code == 303
    listed = (await api.get("/api/v1/tasks/filters", headers=h)).json()
    mine = next(x for x in listed if x["name"] == "退回-升级")
    assert mine["filters"] == {
        "kind": "payment_returned",
        "status": "active",
        "escalated": True,
        "sort": "priority",
        "group": "finance",
    }
    shown = await api.get(saved.headers["location"])
    assert "退回-升级" in shown.text and 'value="payment_returned" selected' in shown.text
    delete = await api.post(
        f"/staff/filters/{mine['id']}/delete", data={"csrf_token": csrf_of(shown.text)}
    )
    assert delete.status_code == 303
    assert all(
        x["name"] != "退回-升级" for x in (await api.get("/api/v1/tasks/filters", headers=h)).json()
    )


async def test_supervisor_page_extends_a_deadline_and_shows_form_errors(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    clerk = await login(api, "clerk")
    case_id, _, _ = await case_in_review(api, env, clerk)
    await page_login(api, "reviewer")
    assert (await api.get("/staff/supervisor")).status_code == 403
    api.cookies.clear()
    await page_login(api, "supervisor")
    page = await api.get("/staff/supervisor", params={"case_id": case_id, "kind": "review"})
    assert page.status_code == 200 and f'value="{case_id}"' in page.text
    token = csrf_of(page.text)
    missing = await api.post(
        "/staff/supervisor/extend",
        data={"csrf_token": token, "case_id": case_id, "kind": "review", "days": "5"},
    )
    assert missing.status_code == 422 and 'id="err-reason"' in missing.text
    too_long = await api.post(
        "/staff/supervisor/extend",
        data={
            "csrf_token": token,
            "case_id": case_id,
            "kind": "review",
            "days": "500",
            "reason": "病假",
        },
    )
    assert too_long.status_code == 422 and "1 to 90" in too_long.text and "病假" in too_long.text
    ok = await api.post(
        "/staff/supervisor/extend",
        data={
            "csrf_token": token,
            "case_id": case_id,
            "kind": "review",
            "days": "5",
            "reason": "材料补正",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == f"/staff/cases/{case_id}"
    for _ in range(100):
        case_page = await api.get(f"/staff/cases/{case_id}")
        if "材料补正" in case_page.text:
            break
        await asyncio.sleep(0.05)
    assert "期限已延长 5 天" in case_page.text and "材料补正" in case_page.text
