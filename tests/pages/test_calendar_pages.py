"""The holiday calendar on the staff pages: the admin page that loads a year (paste or
upload, CSRF, errors beside the field, zh-CN with the English switch), and the provisional
badge with its reason on the case page and in the task lists (DOMAIN.md "Stages and
deadlines"). The years (2034, 2038) and their days are made up."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import date, datetime

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from domain.calendar import AGENCY_TZ
from tests.pages.helpers import case_in_review, csrf_of, page_login
from tests.utils.api import login
from tests.utils.calendar_years import fixture_days, fixture_toml, no_loaded_years

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
async def _clean(engine: Engine) -> AsyncIterator[None]:
    with no_loaded_years(engine):
        yield


async def test_admin_loads_a_year_on_the_calendar_page(api: httpx.AsyncClient) -> None:
    await page_login(api, "admin")
    page = await api.get("/staff/calendar")
    assert page.status_code == 200
    assert "法定节假日安排" in page.text and 'href="/staff/calendar"' in page.text
    assert "软件包内置" in page.text and "<td>2026" in page.text
    token = csrf_of(page.text)

    no_csrf = await api.post("/staff/calendar", data={"document": "year = 2038"})
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text

    empty = await api.post("/staff/calendar", data={"csrf_token": token, "document": " "})
    assert empty.status_code == 422 and 'id="err-document"' in empty.text
    assert "请粘贴或上传年度安排" in empty.text

    bad = "year = 2038\nholidays = [2038-05-03]  # 名称缺失"
    refused = await api.post("/staff/calendar", data={"csrf_token": token, "document": bad})
    assert refused.status_code == 422
    assert 'id="err-document"' in refused.text and "holidays[0]" in refused.text
    assert html.escape(bad, quote=False) in refused.text  # the input is shown again

    doc = fixture_toml(2038, fixture_days(date(2038, 5, 3), 2))
    loaded = await api.post(
        "/staff/calendar",
        data={"csrf_token": token, "document": ""},
        files={"upload": ("2038.toml", doc.encode(), "application/toml")},
    )
    assert loaded.status_code == 303 and loaded.headers["location"] == "/staff/calendar"
    page = await api.get("/staff/calendar")
    assert "2038 年已载入" in page.text and "管理员载入" in page.text
    assert "2038-05-04" in page.text

    await api.get("/staff/lang/en", params={"next": "/staff/calendar"})
    english = await api.get("/staff/calendar")
    assert (
        "Statutory holiday calendar" in english.text
        and "loaded by an administrator" in english.text
    )


async def test_the_calendar_page_is_for_admins_only(api: httpx.AsyncClient) -> None:
    await page_login(api, "supervisor")
    assert (await api.get("/staff/calendar")).status_code == 403
    assert 'href="/staff/calendar"' not in (await api.get("/staff/my")).text


async def test_provisional_deadlines_and_tasks_show_a_badge_and_the_reason(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """A case in review in (made-up) 2034, whose schedule is not loaded: its deadlines and
    its review task are provisional, on the case page and in the reviewers' list."""
    await env.sleep(datetime(2034, 6, 1, 9, tzinfo=AGENCY_TZ) - await env.get_current_time())
    clerk = await login(api, "clerk")
    case_id, _nid, task_id = await case_in_review(api, env, clerk)
    await page_login(api, "reviewer")

    group = await api.get("/staff/group", params={"case_id": case_id})
    assert f"/staff/tasks/{task_id}" in group.text
    assert 'class="badge provisional"' in group.text and ">暂定</span>" in group.text
    assert "年度国务院节假日安排尚未载入" in group.text

    case_page = await api.get(f"/staff/cases/{case_id}")
    assert case_page.text.count('class="badge provisional"') >= 2  # deadlines and the task
    assert "国务院 2034 年节假日安排尚未载入，此期限暂仅顺延周末" in case_page.text  # running
    assert "此期限计算时国务院 2034 年节假日安排尚未载入" in case_page.text  # met (employer)

    await api.get("/staff/lang/en", params={"next": "/staff/my"})
    english = await api.get(f"/staff/cases/{case_id}")
    assert "The State Council&#39;s holiday schedule for 2034 is not loaded" in english.text
    assert ">provisional</span>" in english.text
    task_page = await api.get(f"/staff/tasks/{task_id}")
    assert 'class="badge provisional"' in task_page.text
