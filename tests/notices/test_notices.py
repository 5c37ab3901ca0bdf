"""Decision notices (issue 3, item 7): 失业保险待遇核定通知书 / 不予核定通知书 as HTML and PDF,
from the review decision in the case read model."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from markupsafe import escape

from api.services.notices import amount_in_words
from domain.review import APPEAL_NOTICE_EN, APPEAL_NOTICE_ZH
from tests.notices.conftest import DecidedCase, approval, rejection
from tests.utils.api import login

APPROVAL_TITLE, REJECTION_TITLE = "失业保险待遇核定通知书", "失业保险待遇不予核定通知书"


async def test_approval_notice_shows_entitlement_dates_and_obligations(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase
) -> None:
    """社会保险法 art. 48: the fund pays medical insurance while benefits last."""
    case_id = decided_case(approval())
    h = await login(notices_api, "clerk")
    resp = await notices_api.get(f"/api/v1/cases/{case_id}/notice", headers=h)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    html = resp.text
    assert f"<title>{APPROVAL_TITLE}" in html and REJECTION_TITLE not in html
    assert "长春市" in html  # region name from the policy book
    assert "UI-20261205-" + case_id.upper() in html  # decided 2026-12-05 Beijing time
    assert "刘测试" in html and "2201**********0019" in html
    assert "755.00" in html and "柒佰伍拾伍元整" in html
    assert "24 个月" in html
    assert "2026年12月1日" in html and "2028年11月30日" in html
    assert "130 个月" in html and "由 128 个月更正" in html
    assert "按月发放" in html and "领取确认" in html and "第四十八条" in html
    assert APPEAL_NOTICE_ZH in html
    assert "220100@2023-10-01" in html and f"review:{case_id}:1" in html
    assert "test-code-1" in html
    assert "Benefit period" not in html  # Chinese only by default


async def test_rejection_notice_lists_reasons_text_and_appeal_rights_in_english_too(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase
) -> None:
    """Stage 3: a rejection tells the reasons and the right to 行政复议 / 行政诉讼."""
    case_id = decided_case(rejection(reasons=["insufficient_contributions", "other"]))
    h = await login(notices_api, "reviewer")
    zh = (await notices_api.get(f"/api/v1/cases/{case_id}/notice", headers=h)).text
    assert REJECTION_TITLE in zh and APPROVAL_TITLE not in zh
    assert "失业前缴纳失业保险费不满一年" in zh and "其他原因（见说明）" in zh
    assert "本人意愿中断就业" not in zh
    assert "缴费记录仅 8 个月 &lt;b&gt;not bold&lt;/b&gt;" in zh  # free text, escaped
    assert APPEAL_NOTICE_ZH in zh and APPEAL_NOTICE_EN not in zh
    assert "less than one year of contributions" not in zh

    resp = await notices_api.get(f"/api/v1/cases/{case_id}/notice?lang=en", headers=h)
    en = resp.text
    assert resp.status_code == 200 and 'lang="en"' in en
    assert "失业前缴纳失业保险费不满一年" in en and "less than one year of contributions" in en
    assert "other (see explanation)" in en
    assert APPEAL_NOTICE_ZH in en and escape(APPEAL_NOTICE_EN) in en
    assert "2026年12月5日" in en and "2026-12-05" in en

    bad = await notices_api.get(f"/api/v1/cases/{case_id}/notice?lang=fr", headers=h)
    assert bad.status_code == 422


async def test_notice_without_a_determination_row_still_renders(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase
) -> None:
    case_id = decided_case(approval(corrected_from=None), determination=False)
    h = await login(notices_api, "finance")
    resp = await notices_api.get(f"/api/v1/cases/{case_id}/notice", headers=h)
    assert resp.status_code == 200
    assert "更正" not in resp.text and "程序版本" not in resp.text
    assert f"review:{case_id}:1" in resp.text


@pytest.mark.parametrize("make", [approval, rejection])
async def test_notice_pdf_is_an_a4_download(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase, make: Callable[..., dict[str, Any]]
) -> None:
    decision = make()
    case_id = decided_case(decision)
    h = await login(notices_api, "clerk")
    resp = await notices_api.get(f"/api/v1/cases/{case_id}/notice.pdf", headers=h)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/pdf"
    disposition = resp.headers["content-disposition"]
    outcome = decision["outcome"]
    assert disposition.startswith(f'attachment; filename="notice-{outcome}-{case_id}-20261205.pdf"')
    assert "filename*=UTF-8''" in disposition
    pdf = resp.content
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 5000  # fonts embedded
    pdftotext = shutil.which("pdftotext")  # poppler-utils, where installed: the text is real
    if pdftotext:
        text = subprocess.run(
            [pdftotext, "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        title = APPROVAL_TITLE if outcome == "approve" else REJECTION_TITLE
        assert title in text and case_id.upper() in text


async def test_notice_of_unknown_case_or_undecided_case_is_404(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase
) -> None:
    h = await login(notices_api, "clerk")
    undecided = decided_case(None)
    for suffix in ("notice", "notice.pdf"):
        missing = await notices_api.get(f"/api/v1/cases/nosuchcase/{suffix}", headers=h)
        assert missing.status_code == 404
        assert missing.json() == {"detail": "no case nosuchcase"}
        pending = await notices_api.get(f"/api/v1/cases/{undecided}/{suffix}", headers=h)
        assert pending.status_code == 404
        assert "no review decision yet" in pending.json()["detail"]


async def test_notice_needs_a_signed_in_user(
    notices_api: httpx.AsyncClient, decided_case: DecidedCase
) -> None:
    case_id = decided_case(approval())
    for suffix in ("notice", "notice.pdf"):
        anonymous = await notices_api.get(f"/api/v1/cases/{case_id}/{suffix}")
        assert anonymous.status_code == 401
        forged = await notices_api.get(
            f"/api/v1/cases/{case_id}/{suffix}", headers={"Authorization": "Bearer forged"}
        )
        assert forged.status_code == 401


async def test_ping_answers_without_auth(notices_api: httpx.AsyncClient) -> None:
    resp = await notices_api.get("/api/v1/ping")
    assert resp.status_code == 200 and resp.json() == {"ping": "pong"}


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("755.00", "柒佰伍拾伍元整"),
        ("574", "伍佰柒拾肆元整"),
        ("1005", "壹仟零伍元整"),
        ("1050.50", "壹仟零伍拾元伍角"),
        ("100500", "壹拾万零伍佰元整"),
        ("10000", "壹万元整"),
        ("0.05", "零元零伍分"),
    ],
)
def test_amount_in_chinese_capitals(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words
