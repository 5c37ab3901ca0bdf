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

from domain.review import APPEAL_NOTICE_EN, APPEAL_NOTICE_ZH
from tests.notices.conftest import DecidedCase, approval
from tests.pages.helpers import page_login
from tests.utils.api import login
from tests.utils.notices import case_page_notice, notice_forms, write_determination

TITLE = "拒绝介绍就业警告通知书"


def _warned(engine: Engine, case_id: str) -> None:
    write_determination(
        engine,
        case_id,
        "refused_offer_warning",
        outcome="warned",
        actor="reviewer",
        at=datetime(2027, 1, 14, 3, 0, tzinfo=UTC),  # 2027-01-14 in Beijing
        inputs={
            "effective_date": "2027-01-12",
            "evidence": "职业介绍回执 2027-0042",
            "reported_by": "clerk",
        },
        result={"refusals": 1},
        reasons=["refused_offer"],
    )


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
    html, en = await notice_forms(notices_api, h, listed[1], "warning")
    assert f"<title>{TITLE}" in html and "UI-WARN-20270114-" + case_id.upper() in html
    reason = html.split('id="warning-reason">')[1].split("</td>")[0]
    assert "无正当理由拒绝接受介绍的适当工作或者提供的培训" in reason
    assert "2027年1月12日" in html and "职业介绍回执 2027-0042" in html
    assert "第二十六条" in html and "第十五条" in html and "继续发放" in html
    consequence = html.split('id="warning-consequence">')[1].split("</ol>")[0]
    assert "再次无正当理由拒绝" in consequence and "停止你享受失业保险待遇" in consequence
    assert "应予退还" in consequence
    assert APPEAL_NOTICE_ZH in html and "刘测试" in html and "长春市" in html
    assert escape(APPEAL_NOTICE_EN) in en and "your unemployment-insurance benefits stop" in en


async def test_the_case_page_links_the_warning_notice(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase, engine: Engine
) -> None:
    case_id = decided_case(approval())
    await page_login(notices_api, "clerk")
    _, shown = await case_page_notice(
        notices_api, case_id, "warning", lambda: _warned(engine, case_id)
    )
    assert TITLE in shown and "再次无正当理由拒绝" in shown
