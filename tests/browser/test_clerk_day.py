"""A clerk's day in a real browser (issue 9 §9): Debian's chromium driven by Playwright against
the app served over HTTP. Sign in, file an employer report and a registration through the
forms, find the case by identity number, open it and see its deadlines, and once a reviewer
has approved it (through the API), record a check-in and see it on the page, and see the
medical cash option's refusal re-shown with what was chosen."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest

from tests.browser.chromium import ARTIFACTS, CHROMIUM, api_token, chromium
from tests.utils import factories as f
from tests.utils.api import case_when


async def _today(http: httpx.AsyncClient) -> date:
    """Today on the system clock (the time-skipping server's), in the agency's time zone."""
    h = await api_token(http, "clerk")
    return date.fromisoformat((await http.get("/api/v1/sim/clock", headers=h)).json()["today"])


async def _approve(http: httpx.AsyncClient, case_id: str) -> None:
    """The reviewer approves the claim through the REST API."""
    rev = await api_token(http, "reviewer")
    for _ in range(300):
        params = {"case_id": case_id, "kind": "review_claim"}
        tasks = (await http.get("/api/v1/tasks", params=params, headers=rev)).json()
        if tasks:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"no review task for {case_id}")
    done = await http.post(
        f"/api/v1/tasks/{tasks[0]['task_id']}/complete", json={"outcome": "approve"}, headers=rev
    )
    assert done.status_code == 200, done.text
    await case_when(http, rev, case_id, "active")


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"chromium not installed: no {CHROMIUM}")
async def test_a_clerks_day_in_chromium(live_server: str) -> None:
    from playwright.async_api import Page, expect

    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        sep = (await _today(http)) - timedelta(days=4)
    nid = f.national_id(birth=date(1988, 2, 29))

    async def fill(page: Page, values: dict[str, str]) -> None:
        for name, value in values.items():
            await page.locator(f'[name="{name}"]').fill(value)

    async with chromium(live_server, height=900) as browser:
        page = await browser.new_page()
        await page.goto("/staff")
        await page.get_by_label("用户名").fill("clerk")
        await page.get_by_label("密码").fill("clerk")
        await page.get_by_role("button", name="登录").click()
        await expect(page).to_have_url(f"{live_server}/staff/my")

        # the employer's report, first with a mistake the form shows beside its field
        await page.get_by_role("link", name="单位申报").click()
        await fill(
            page,
            {
                "employer__uscc": f.USCC,
                "employer__name": "长春示例机械有限公司",
                "employer__email": "hr@example.test",
                "claimant__national_id": nid,
                "claimant__name": "陈浏览",
                "claimant__phone": "13800000002",
                "separation_date": sep.isoformat(),
                "notice_date": sep.isoformat(),
                "contribution_months": "七十二",
            },
        )
        await page.locator('[name="region_code"]').select_option("220100")
        await page.locator('[name="reason_code"]').select_option("contract_expired")
        await page.get_by_role("button", name="提交单位申报").click()
        await expect(page.locator("#err-contribution_months")).to_have_text("请输入整数")
        await expect(page.locator('[name="claimant__name"]')).to_have_value("陈浏览")
        await page.screenshot(path=str(ARTIFACTS / "intake-error.png"), full_page=True)
        await page.locator('[name="contribution_months"]').fill("72")
        await page.get_by_role("button", name="提交单位申报").click()
        await expect(page.get_by_text("单位申报已受理")).to_be_visible()
        case_id = page.url.rsplit("/", 1)[-1]

        # the claimant's registration at the counter
        await page.get_by_role("link", name="失业登记", exact=True).click()
        await fill(
            page,
            {
                "national_id": nid,
                "name": "陈浏览",
                "phone": "13800000002",
                "separation_date": sep.isoformat(),
                "notice_date": sep.isoformat(),
                "bank_account__bank_code": "ICBC",
                "bank_account__account_number": "6222020200112233446",
                "bank_account__account_name": "陈浏览",
            },
        )
        await page.locator('[name="region_code"]').select_option("220100")
        await page.locator('input[name="seeking_work"][value="yes"]').check()
        await page.get_by_role("button", name="提交失业登记").click()
        await expect(page.get_by_text("失业登记已受理")).to_be_visible()
        await expect(page).to_have_url(f"{live_server}/staff/cases/{case_id}")

        # find it again by identity number: posted, never in the address
        await page.get_by_role("link", name="查找案件").click()
        await page.get_by_label("案件编号、姓名或公民身份号码").fill(nid)
        await page.get_by_role("button", name="查找").click()
        await expect(page).to_have_url(f"{live_server}/staff/cases/search")
        results = page.locator("#search-results")
        await expect(results).to_contain_text(nid[:4] + "*" * 10 + nid[-4:])
        assert nid not in await results.inner_text()
        await page.screenshot(path=str(ARTIFACTS / "case-search.png"), full_page=True)
        await results.get_by_role("link", name=case_id).click()
        await expect(page.locator("h1 .badge.cs-in_review")).to_have_text("审核中")
        deadlines = page.locator("table.plain").first
        await expect(deadlines).to_contain_text("单位申报")
        await expect(deadlines).to_contain_text("审核")
        await page.screenshot(path=str(ARTIFACTS / "case-in-review.png"), full_page=True)

        async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
            await _approve(http, case_id)
            before = await _today(http)
            await page.reload()
            after = await _today(http)
        await expect(page.locator("h1 .badge.cs-active")).to_have_text("享受待遇中")
        form = page.locator("#check-in-form")
        on = await form.locator('[name="date"]').input_value()
        assert on in (before.isoformat(), after.isoformat())  # today, on the system clock
        await form.get_by_role("button", name="记录报到").click()
        await expect(page.get_by_text(f"已记录第 1 个月报到（{on}）")).to_be_visible()
        await expect(page.locator("#check-in-list")).to_contain_text(on)
        await page.screenshot(path=str(ARTIFACTS / "case-checked-in.png"), full_page=True)

        # the ≤ 3-month medical cash option (范文1 §4.6): with all its months left it is
        # refused above the form, which keeps what the clerk chose
        cash = page.locator("#cash-option-form")
        await cash.locator('[name="insured_elsewhere"]').select_option("urban_resident")
        await cash.locator('[name="written_request"]').check()
        await cash.get_by_role("button", name="登记").click()
        await expect(page.locator("#cash-option-error")).to_contain_text(
            "benefit months are left; the option is for 3"
        )
        chosen = page.locator('#cash-option-form [name="insured_elsewhere"]')
        await expect(chosen).to_have_value("urban_resident")
        await expect(page.locator('#cash-option-form [name="written_request"]')).to_be_checked()
    assert (ARTIFACTS / "case-checked-in.png").stat().st_size > 10_000
