"""Helpers for page tests: sign in through the login form, read CSRF tokens, make a case."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta

import httpx
from temporalio.testing import WorkflowEnvironment

from db.seed import demo_credentials
from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import today

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def table_row_of(html: str, marker: str) -> str:
    """The one table row (`<tr>` to `</tr>`) of the page that holds `marker`: what the page
    shows for one task, apart from the other tests' tasks in the same database."""
    rows = [row for row in re.findall(r"<tr\b.*?</tr>", html, re.DOTALL) if marker in row]
    assert len(rows) == 1, f"{len(rows)} rows hold {marker!r}"
    return rows[0]


async def page_login(client: httpx.AsyncClient, username: str) -> httpx.Response:
    """Sign in through the form, as a browser would (cookies stay in `client`)."""
    form = await client.get("/staff/login")
    assert form.status_code == 200, form.text
    resp = await client.post(
        "/staff/login",
        data={**demo_credentials(username), "csrf_token": csrf_of(form.text)},
    )
    assert resp.status_code == 303, resp.text
    return resp


async def case_in_review(
    api: httpx.AsyncClient, env: WorkflowEnvironment, headers: dict[str, str]
) -> tuple[str, str, str]:
    """(case_id, national_id, review task_id) of a fresh case in review, made through the API."""
    nid, sep = f.national_id(), (await today(env)) - timedelta(days=2)
    r = await api.post(
        "/api/v1/employer-reports", json=f.employer_report_json(nid, sep), headers=headers
    )
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    r = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=headers)
    assert r.status_code == 201, r.text
    for _ in range(300):
        tasks = (
            await api.get(
                "/api/v1/tasks",
                params={"case_id": case_id, "kind": "review_claim"},
                headers=headers,
            )
        ).json()
        if tasks:
            return case_id, nid, tasks[0]["task_id"]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no review task for {case_id}")


async def active_case(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> tuple[str, dict[str, str]]:
    """(case_id, the clerk's API headers) of a fresh case a reviewer approved: active."""
    clerk, rev = await login(api, "clerk"), await login(api, "reviewer")
    case_id, _, task_id = await case_in_review(api, env, clerk)
    done = await api.post(
        f"/api/v1/tasks/{task_id}/complete", json={"outcome": "approve"}, headers=rev
    )
    assert done.status_code == 200, done.text
    await case_when(api, clerk, case_id, "active")
    return case_id, clerk


@dataclass(frozen=True)
class CaseForm:
    """A clerk (signed in through the form) on a fresh active case's page that offers a form."""

    case_id: str
    url: str  # the case page
    page: str  # the page as the clerk got it
    token: str  # its CSRF token
    clerk: dict[str, str]  # the clerk's API headers


async def clerk_with_case_form(
    api: httpx.AsyncClient, env: WorkflowEnvironment, form_id: str
) -> CaseForm:
    """A fresh active case whose page does not offer the form `form_id` to a reviewer and
    offers it to a clerk, who is signed in afterwards."""
    case_id, clerk = await active_case(api, env)
    url = f"/staff/cases/{case_id}"
    await page_login(api, "reviewer")
    page = await api.get(url)
    assert page.status_code == 200 and f'id="{form_id}"' not in page.text
    api.cookies.clear()
    await page_login(api, "clerk")
    page = await api.get(url)
    assert f'id="{form_id}"' in page.text
    return CaseForm(case_id, url, page.text, csrf_of(page.text), clerk)
