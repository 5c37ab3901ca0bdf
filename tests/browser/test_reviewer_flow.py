"""A reviewer's day in a real browser: Debian's chromium driven by Playwright against the app
served over HTTP (issue 3: "a browser test ... a screenshot of the worklist")."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.browser.chromium import ARTIFACTS, CHROMIUM, FLAGS, api_token
from tests.utils import factories as f
from tests.utils.api import advance_clock


async def _case_in_review(http: httpx.AsyncClient, h: dict[str, str]) -> dict[str, Any]:
    """A case in review made through the REST API (employer report + registration)."""
    now = datetime.fromisoformat((await http.get("/api/v1/sim/clock", headers=h)).json()["now"])
    nid, sep = f.national_id(), now.date() - timedelta(days=2)
    r = await http.post(
        "/api/v1/employer-reports", json=f.employer_report_json(nid, sep), headers=h
    )
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    r = await http.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=h)
    assert r.status_code == 201, r.text
    for _ in range(300):
        params = {"case_id": case_id, "kind": "review_claim"}
        tasks = (await http.get("/api/v1/tasks", params=params, headers=h)).json()
        if tasks:
            return dict(tasks[0])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no review task for {case_id}")


async def _advance(http: httpx.AsyncClient, _h: dict[str, str], days: float) -> None:
    admin = await api_token(http, "admin")  # only admins move the simulated clock
    await advance_clock(http, admin, days)


async def _worklist_with_every_colour(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The reviewer holds one overdue task and one due within two days; a third, fresh
    review task waits in the group's queue (the one the browser decides)."""
    clerk, rev = await api_token(http, "clerk"), await api_token(http, "reviewer")
    overdue = await _case_in_review(http, clerk)
    claim = await http.post(f"/api/v1/tasks/{overdue['task_id']}/claim", headers=rev)
    assert claim.status_code == 200, claim.text
    await _advance(http, rev, 7)  # so it falls due a week before the next one
    soon = await _case_in_review(http, clerk)
    await http.post(f"/api/v1/tasks/{soon['task_id']}/claim", headers=rev)
    now = datetime.fromisoformat((await http.get("/api/v1/sim/clock", headers=rev)).json()["now"])
    due = datetime.fromisoformat(soon["due_at"])
    await _advance(http, rev, (due - now).total_seconds() / 86400 - 1)  # one day left
    return [overdue, soon, await _case_in_review(http, clerk)]


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"chromium not installed: no {CHROMIUM}")
async def test_reviewer_approves_a_claim_from_the_worklist_in_chromium(live_server: str) -> None:
    from playwright.async_api import Locator, async_playwright, expect

    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        overdue, soon, fresh = await _worklist_with_every_colour(http)
    task_id, case_id = fresh["task_id"], fresh["case_id"]
    ARTIFACTS.mkdir(exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=FLAGS,
                viewport={"width": 1360, "height": 820},
                locale="zh-CN",
                base_url=live_server,
            )
            page = await browser.new_page()
            await page.goto("/staff/my")
            await expect(page).to_have_url(f"{live_server}/staff/login?next=%2Fstaff%2Fmy")
            await page.get_by_label("用户名").fill("reviewer")
            await page.get_by_label("密码").fill("reviewer")
            await page.get_by_role("button", name="登录").click()
            await expect(page).to_have_url(f"{live_server}/staff/my")

            await page.get_by_role("link", name="本组任务").click()
            await page.locator(f'a[href="/staff/tasks/{task_id}"]').click()
            await expect(page.get_by_role("heading", name="待遇审核")).to_be_visible()
            await page.get_by_role("button", name="领取").click()
            await expect(page.get_by_text("已领取任务")).to_be_visible()

            await page.get_by_role("link", name="我的任务").click()

            def row(task: dict[str, Any]) -> Locator:
                return page.locator(f'tr:has(a[href="/staff/tasks/{task["task_id"]}"])')

            await expect(row(overdue).locator(".due.overdue")).to_be_visible()
            await expect(row(soon).locator(".due.soon")).to_be_visible()
            await expect(row(fresh).locator(".due")).not_to_have_class(re.compile("overdue|soon"))
            await page.screenshot(path=str(ARTIFACTS / "worklist.png"), full_page=True)

            await page.locator(f'a[href="/staff/tasks/{task_id}"]').click()
            await page.screenshot(path=str(ARTIFACTS / "task.png"), full_page=True)
            await page.locator("#approve-form").get_by_role("button", name="核定（批准）").click()
            await expect(page).to_have_url(f"{live_server}/staff/cases/{case_id}")
            await expect(page.get_by_text("任务已完成：核定")).to_be_visible()
            for _ in range(100):  # the read model follows the workflow a moment later
                if await page.locator(".badge.cs-active").count():
                    break
                await asyncio.sleep(0.1)
                await page.reload()
            await expect(page.locator("h1 .badge.cs-active")).to_have_text("享受待遇中")
            await page.screenshot(path=str(ARTIFACTS / "case-active.png"), full_page=True)
            await browser.close()
    assert os.path.getsize(ARTIFACTS / "worklist.png") > 10_000
