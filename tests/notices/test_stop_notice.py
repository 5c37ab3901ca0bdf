"""The stop notice (停止享受失业保险待遇决定书, issue 9 §3): two consecutive check-ins missed
without good reason stop the benefits (seed 000 art. 33); the notice states the months, the
day the benefits stop, the grounds and the appeal rights, as HTML and PDF, and is listed
among the case's notices. Rows written as the case workflow's activities write them."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from markupsafe import escape
from sqlalchemy import Engine
from sqlmodel import Session

from db.models import CaseRecord, Determination
from domain.review import APPEAL_NOTICE_EN, APPEAL_NOTICE_ZH
from tests.notices.conftest import DecidedCase, approval
from tests.pages.helpers import page_login
from tests.utils.api import login

STOP_TITLE = "停止享受失业保险待遇决定书"


def _stopped(engine: Engine, case_id: str) -> None:
    with Session(engine) as session:
        case = session.get(CaseRecord, case_id)
        assert case is not None
        case.status, case.stage, case.closure_reason = "stopped", "closed", "missed_check_ins"
        session.add(case)
        session.add(
            Determination(
                key=f"{case_id}:check_in_stop",
                case_id=case_id,
                kind="check_in_stop",
                outcome="stopped",
                actor="clerk1",
                at=datetime(2027, 3, 3, 2, 0, tzinfo=UTC),
                policy_version="220100@2023-10-01",
                code_version="test-code-1",
                inputs={
                    "months": [2, 3],
                    "periods": [["2027-01-01", "2027-01-31"], ["2027-02-01", "2027-02-28"]],
                },
                result={"effective_date": "2027-03-03"},
                reasons=["missed_check_ins"],
            )
        )
        session.commit()


async def test_the_stop_notice_states_months_day_grounds_and_appeal_rights(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase, engine: Engine
) -> None:
    case_id = decided_case(approval())
    h = await login(notices_api, "clerk")
    base = f"/api/v1/cases/{case_id}"
    listed = (await notices_api.get(f"{base}/notices", headers=h)).json()
    assert [n["kind"] for n in listed] == ["decision"]
    assert (await notices_api.get(f"{base}/notices/stop", headers=h)).status_code == 404

    _stopped(engine, case_id)
    listed = (await notices_api.get(f"{base}/notices", headers=h)).json()
    assert [(n["kind"], n["title"], n["decided_on"]) for n in listed] == [
        ("decision", "失业保险待遇核定通知书", "2026-12-05"),
        ("stop", STOP_TITLE, "2027-03-03"),
    ]
    resp = await notices_api.get(listed[1]["html"], headers=h)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    html = resp.text
    assert f"<title>{STOP_TITLE}" in html and "UI-STOP-20270303-" + case_id.upper() in html
    assert "第2个月" in html and "第3个月" in html
    assert "2027年1月1日" in html and "2027年2月28日" in html  # the months' periods
    assert "2027年3月3日" in html and "第三十三条" in html
    assert APPEAL_NOTICE_ZH in html and "刘测试" in html and "长春市" in html
    en = (await notices_api.get(f"{listed[1]['html']}?lang=en", headers=h)).text
    assert escape(APPEAL_NOTICE_EN) in en and "Decision to stop" in en

    pdf = await notices_api.get(listed[1]["pdf"], headers=h)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "notice-stop-" in pdf.headers["content-disposition"]
    assert (await notices_api.get(f"{base}/notices/other", headers=h)).status_code == 422
    assert (await notices_api.get("/api/v1/cases/nope/notices", headers=h)).status_code == 404


async def test_the_case_page_links_the_stop_notice(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase, engine: Engine
) -> None:
    case_id = decided_case(approval())
    await page_login(notices_api, "clerk")
    page = await notices_api.get(f"/staff/cases/{case_id}")
    assert page.status_code == 200 and 'id="stop-notice"' not in page.text
    _stopped(engine, case_id)
    page = await notices_api.get(f"/staff/cases/{case_id}")
    assert 'id="stop-notice"' in page.text and "停止待遇决定书" in page.text
    assert f"/staff/cases/{case_id}/notices/stop.pdf" in page.text
    shown = await notices_api.get(f"/staff/cases/{case_id}/notices/stop")
    assert shown.status_code == 200 and STOP_TITLE in shown.text and "第三十三条" in shown.text
    pdf = await notices_api.get(f"/staff/cases/{case_id}/notices/stop.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (await notices_api.get(f"/staff/cases/{case_id}/notices/other")).status_code == 404
