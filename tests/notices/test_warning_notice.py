"""The warning notice of a first refused offer (拒绝介绍就业警告通知书, issue 11 §1): a
reviewer confirmed that the claimant refused a suitable job or training offer without good
reason (seed 000 art. 26(4); 条例 art. 15). The notice states the reason, the refusal's day and
evidence, that benefits continue, and that a second refusal stops them; as HTML and PDF,
listed among the case's notices and linked from the case page. The warning's determination
is written as the case workflow's activity writes it (workflows/claim/stops.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from markupsafe import escape
from sqlalchemy import Engine
from sqlmodel import Session

from db.models import Determination
from domain.review import APPEAL_NOTICE_EN, APPEAL_NOTICE_ZH
from tests.notices.conftest import DecidedCase, approval
from tests.pages.helpers import page_login
from tests.utils.api import login

TITLE = "拒绝介绍就业警告通知书"


def _warned(engine: Engine, case_id: str) -> None:
    with Session(engine) as session:
        session.add(
            Determination(
                key=f"{case_id}:refused_offer_warning",
                case_id=case_id,
                kind="refused_offer_warning",
                outcome="warned",
                actor="reviewer",
                at=datetime(2027, 1, 14, 3, 0, tzinfo=UTC),  # 2027-01-14 in Beijing
                policy_version="220100@2023-10-01",
                code_version="test-code-1",
                inputs={
                    "effective_date": "2027-01-12",
                    "evidence": "职业介绍回执 2027-0042",
                    "reported_by": "clerk",
                },
                result={"refusals": 1},
                reasons=["refused_offer"],
            )
        )
        session.commit()


async def test_the_warning_notice_states_the_refusal_and_what_a_second_one_does(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase, engine: Engine
) -> None:
    case_id = decided_case(approval())
    h = await login(notices_api, "clerk")
    base = f"/api/v1/cases/{case_id}"
    assert (await notices_api.get(f"{base}/notices/warning", headers=h)).status_code == 404
    _warned(engine, case_id)
    listed = (await notices_api.get(f"{base}/notices", headers=h)).json()
    assert [(n["kind"], n["title"], n["decided_on"]) for n in listed] == [
        ("decision", "失业保险待遇核定通知书", "2026-12-05"),
        ("warning", TITLE, "2027-01-14"),
    ]
    resp = await notices_api.get(listed[1]["html"], headers=h)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    html = resp.text
    assert f"<title>{TITLE}" in html and "UI-WARN-20270114-" + case_id.upper() in html
    reason = html.split('id="warning-reason">')[1].split("</td>")[0]
    assert "无正当理由拒绝接受介绍的适当工作或者提供的培训" in reason
    assert "2027年1月12日" in html and "职业介绍回执 2027-0042" in html
    assert "第二十六条" in html and "第十五条" in html and "继续发放" in html
    consequence = html.split('id="warning-consequence">')[1].split("</ol>")[0]
    assert "再次无正当理由拒绝" in consequence and "停止你享受失业保险待遇" in consequence
    assert "应予退还" in consequence
    assert APPEAL_NOTICE_ZH in html and "刘测试" in html and "长春市" in html
    en = (await notices_api.get(f"{listed[1]['html']}?lang=en", headers=h)).text
    assert escape(APPEAL_NOTICE_EN) in en and "your unemployment-insurance benefits stop" in en

    pdf = await notices_api.get(listed[1]["pdf"], headers=h)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "notice-warning-" in pdf.headers["content-disposition"]


async def test_the_case_page_links_the_warning_notice(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase, engine: Engine
) -> None:
    case_id = decided_case(approval())
    await page_login(notices_api, "clerk")
    page = await notices_api.get(f"/staff/cases/{case_id}")
    assert page.status_code == 200 and 'id="warning-notice"' not in page.text
    _warned(engine, case_id)
    page = await notices_api.get(f"/staff/cases/{case_id}")
    assert 'id="warning-notice"' in page.text
    assert f"/staff/cases/{case_id}/notices/warning.pdf" in page.text
    shown = await notices_api.get(f"/staff/cases/{case_id}/notices/warning")
    assert shown.status_code == 200 and TITLE in shown.text and "再次无正当理由拒绝" in shown.text
    pdf = await notices_api.get(f"/staff/cases/{case_id}/notices/warning.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
