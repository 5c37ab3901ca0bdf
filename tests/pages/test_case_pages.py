"""Issue 9 §9: a clerk finds a case (case ID, name, or an identity number posted in a form,
never in a URL or a log line), opens it (deadlines, provisional ones with a badge and the
reason), and records a check-in from the case page with errors beside the date."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from db.models import CaseRecord
from domain.identifiers import mask_national_id
from payloads.case_io import ClaimInput
from tests.pages.helpers import active_case, case_in_review, csrf_of, page_login
from tests.utils import factories as f
from tests.utils.api import login
from tests.utils.temporal import today
from workflows import ids
from workflows.claim import ClaimWorkflow


async def _search(api: httpx.AsyncClient, q: str) -> httpx.Response:
    page = await api.get("/staff/cases")
    assert page.status_code == 200
    return await api.post("/staff/cases/search", data={"q": q, "csrf_token": csrf_of(page.text)})


async def test_find_a_case_by_identity_number_name_or_case_id(
    api: httpx.AsyncClient, env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    clerk = await login(api, "clerk")
    case_id, nid, _ = await case_in_review(api, env, clerk)
    await page_login(api, "clerk")

    with caplog.at_level(logging.DEBUG):
        found = await _search(api, nid)
    assert found.status_code == 200
    assert f'href="/staff/cases/{case_id}"' in found.text
    assert mask_national_id(nid) in found.text and nid not in found.text
    assert nid not in str(found.request.url) and nid not in caplog.text
    spaced = await _search(api, f" {nid.lower()} ")
    assert f'href="/staff/cases/{case_id}"' in spaced.text

    by_name = await _search(api, "刘测")
    assert f'href="/staff/cases/{case_id}"' in by_name.text and nid not in by_name.text
    by_id = await _search(api, case_id[:8])
    assert f'href="/staff/cases/{case_id}"' in by_id.text
    other = await _search(api, "没有这个人")
    assert other.status_code == 200 and "没有找到案件" in other.text

    mistyped = nid[:-1] + ("0" if nid[-1] != "0" else "1")
    bad = await _search(api, mistyped)
    assert bad.status_code == 422 and 'id="err-q"' in bad.text
    assert "check digit does not match" in bad.text and f'value="{mistyped}"' in bad.text
    blank = await _search(api, "  ")
    assert blank.status_code == 422 and "必填" in blank.text
    forged = await api.post("/staff/cases/search", data={"q": nid, "csrf_token": "0" * 64})
    assert forged.status_code == 403 and nid not in forged.text
    # the API keeps even a mistyped identity number out of its URLs
    in_url = await api.get("/api/v1/cases", params={"q": mistyped}, headers=clerk)
    assert in_url.status_code == 422 and in_url.json()["detail"][0]["loc"] == ["query", "q"]


async def test_clerk_records_a_check_in_on_the_case_page(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    case_id, clerk = await active_case(api, env)
    url = f"/staff/cases/{case_id}"

    await page_login(api, "reviewer")
    page = await api.get(url)
    assert page.status_code == 200 and 'id="check-in-form"' not in page.text
    refused = await api.post(f"{url}/check-ins", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403 and "check-ins are recorded by clerks" in refused.text

    api.cookies.clear()
    await page_login(api, "clerk")
    day = await today(env)
    page = await api.get(url)
    shown_days = {day, await today(env)}  # today on the system clock, as the page rendered
    assert 'id="check-in-form"' in page.text
    assert any(f'value="{d.isoformat()}"' in page.text for d in shown_days)
    token = csrf_of(page.text)
    future = (day + timedelta(days=3)).isoformat()
    ahead = await api.post(f"{url}/check-ins", data={"csrf_token": token, "date": future})
    assert ahead.status_code == 422 and 'id="err-date"' in ahead.text
    assert "is in the future" in ahead.text and f'value="{future}"' in ahead.text
    garbled = await api.post(f"{url}/check-ins", data={"csrf_token": token, "date": "2026-13-45"})
    assert garbled.status_code == 422 and "请输入日期" in garbled.text
    assert 'value="2026-13-45"' in garbled.text
    no_token = await api.post(f"{url}/check-ins", data={"date": day.isoformat()})
    assert no_token.status_code == 403

    ok = await api.post(f"{url}/check-ins", data={"csrf_token": token, "date": day.isoformat()})
    assert ok.status_code == 303 and ok.headers["location"] == url
    shown = await api.get(url)
    assert f"已记录第 1 个月报到（{day.isoformat()}）" in shown.text
    assert 'id="check-in-list"' in shown.text and "窗口" in shown.text
    case = (await api.get(f"/api/v1/cases/{case_id}", headers=clerk)).json()
    checked = [
        (e["data"]["month"], e["data"]["channel"])
        for e in case["events"]
        if e["type"] == "checked_in"
    ]
    assert sorted(checked) == [(1, "counter"), (1, "registration")]  # the registration: month 1's

    twice = await api.post(f"{url}/check-ins", data={"csrf_token": token})
    assert twice.status_code == 409 and "already checked in" in twice.text
    assert 'id="err-date"' in twice.text


async def test_case_page_marks_a_provisional_deadline_and_says_why(
    api: httpx.AsyncClient, engine: Engine
) -> None:
    """ARCHITECTURE.md: a deadline computed for a year whose official holiday schedule is
    not loaded carries `provisional: true` wherever it is shown."""
    case_id = "provisionalpage00001"
    with Session(engine) as session:
        session.merge(
            CaseRecord(
                case_id=case_id,
                region_code="220100",
                status="awaiting_registration",
                stage="intake",
                claimant_name="赵暂定",
                national_id_masked=mask_national_id(f.national_id()),
                separation_date=date(2026, 12, 28),
                registration_due=date(2027, 1, 27),
                deadline_details={
                    "registration": {
                        "due_date": "2027-01-27",
                        "reminders_sent": [],
                        "provisional": True,
                        "provisional_years": [2027],
                    },
                    "employer_report": {
                        "due_date": "2026-12-14",
                        "reminders_sent": [],
                        "met_on": "2026-12-01",
                    },
                },
                opened_at=datetime(2026, 12, 1, tzinfo=UTC),
                updated_at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        )
        session.commit()
    await page_login(api, "clerk")
    page = await api.get(f"/staff/cases/{case_id}")
    assert page.status_code == 200
    assert page.text.count('class="badge provisional"') == 1
    assert "国务院 2027 年节假日安排尚未载入" in page.text
    await api.get("/staff/lang/en")
    english = await api.get(f"/staff/cases/{case_id}")
    assert "holiday schedule for 2027 is not loaded" in english.text


async def test_a_case_whose_read_model_is_not_written_yet_says_it_is_opening(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """Right after intake the workflow runs before its read model row exists: the case page
    says the case is being opened and reloads, rather than "not found"."""
    case_id = "opening0000000000001"
    # on a task queue no worker polls: the workflow exists, nothing writes its row
    await env.client.start_workflow(
        ClaimWorkflow.run, ClaimInput(case_id=case_id), id=ids.case(case_id), task_queue="idle"
    )
    await page_login(api, "clerk")
    api.cookies.set("flash", "intake%20ok", path="/staff")
    page = await api.get(f"/staff/cases/{case_id}")
    assert page.status_code == 200 and 'id="case-pending"' in page.text
    assert 'http-equiv="refresh"' in page.text
    # the one-time message waits for the real case page it reloads into
    assert "flash" not in page.headers.get("set-cookie", "")
    unknown = await api.get("/staff/cases/nosuchcase0000000001")
    assert unknown.status_code == 404
