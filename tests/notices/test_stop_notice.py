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

from db.models import CaseRecord
from domain.review import APPEAL_NOTICE_EN, APPEAL_NOTICE_ZH
from tests.notices.conftest import DecidedCase, approval
from tests.pages.helpers import page_login
from tests.utils.api import login
from tests.utils.notices import case_page_notice, notice_forms, write_determination

STOP_TITLE = "停止享受失业保险待遇决定书"


def _stopped(engine: Engine, case_id: str) -> None:
    def closed(session: Session) -> None:
        case = session.get(CaseRecord, case_id)
        assert case is not None
        case.status, case.stage, case.closure_reason = "stopped", "closed", "missed_check_ins"
        session.add(case)

    write_determination(
        engine,
        case_id,
        "check_in_stop",
        outcome="stopped",
        actor="clerk1",
        at=datetime(2027, 3, 3, 2, 0, tzinfo=UTC),
        inputs={
            "months": [2, 3],
            "periods": [["2027-01-01", "2027-01-31"], ["2027-02-01", "2027-02-28"]],
        },
        result={"effective_date": "2027-03-03"},
        reasons=["missed_check_ins"],
        also=closed,
    )


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
    html, en = await notice_forms(notices_api, h, listed[1], "stop")
    assert f"<title>{STOP_TITLE}" in html and "UI-STOP-20270303-" + case_id.upper() in html
    assert "第2个月" in html and "第3个月" in html
    assert "2027年1月1日" in html and "2027年2月28日" in html  # the months' periods
    assert "2027年3月3日" in html and "第三十三条" in html
    assert APPEAL_NOTICE_ZH in html and "刘测试" in html and "长春市" in html
    assert escape(APPEAL_NOTICE_EN) in en and "Decision to stop" in en
    assert (await notices_api.get(f"{base}/notices/other", headers=h)).status_code == 422
    assert (await notices_api.get("/api/v1/cases/nope/notices", headers=h)).status_code == 404


async def test_the_case_page_links_the_stop_notice(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase, engine: Engine
) -> None:
    case_id = decided_case(approval())
    await page_login(notices_api, "clerk")
    page, shown = await case_page_notice(
        notices_api, case_id, "stop", lambda: _stopped(engine, case_id)
    )
    assert "停止待遇决定书" in page
    assert STOP_TITLE in shown and "第三十三条" in shown
