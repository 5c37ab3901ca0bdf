"""Helpers for notice tests: a decision's row as a case workflow's activity writes it, and the
notice read in every form it is served in (HTML in Chinese and English, PDF; the case page's
link to it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from db.models import Determination


def write_determination(
    engine: Engine,
    case_id: str,
    kind: str,
    *,
    outcome: str,
    actor: str,
    at: datetime,
    inputs: dict[str, Any],
    result: dict[str, Any],
    reasons: list[str],
    also: Callable[[Session], None] = lambda _: None,
) -> None:
    """The determination `<case_id>:<kind>` (and what `also` writes) in one transaction."""
    with Session(engine) as session:
        also(session)
        session.add(
            Determination(
                key=f"{case_id}:{kind}",
                case_id=case_id,
                kind=kind,
                outcome=outcome,
                actor=actor,
                at=at,
                policy_version="220100@2023-10-01",
                code_version="test-code-1",
                inputs=inputs,
                result=result,
                reasons=reasons,
            )
        )
        session.commit()


async def notice_forms(
    api: httpx.AsyncClient, h: dict[str, str], listed: dict[str, Any], kind: str
) -> tuple[str, str]:
    """A listed notice's HTML in Chinese and in English; its PDF checked (a PDF file named
    for its kind)."""
    resp = await api.get(listed["html"], headers=h)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    en = await api.get(f"{listed['html']}?lang=en", headers=h)
    assert en.status_code == 200, en.text
    pdf = await api.get(listed["pdf"], headers=h)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f"notice-{kind}-" in pdf.headers["content-disposition"]
    return resp.text, en.text


async def case_page_notice(
    api: httpx.AsyncClient, case_id: str, kind: str, decide: Callable[[], None]
) -> tuple[str, str]:
    """The case page (as a signed-in clerk) links no `kind` notice until `decide()` wrote its
    decision, then links it and its PDF; the staff page shows it and serves the PDF; an
    unknown kind is a 404. Returns the case page and the notice page."""
    page = await api.get(f"/staff/cases/{case_id}")
    assert page.status_code == 200 and f'id="{kind}-notice"' not in page.text
    decide()
    page = await api.get(f"/staff/cases/{case_id}")
    assert f'id="{kind}-notice"' in page.text
    assert f"/staff/cases/{case_id}/notices/{kind}.pdf" in page.text
    shown = await api.get(f"/staff/cases/{case_id}/notices/{kind}")
    assert shown.status_code == 200, shown.text
    pdf = await api.get(f"/staff/cases/{case_id}/notices/{kind}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (await api.get(f"/staff/cases/{case_id}/notices/other")).status_code == 404
    return page.text, shown.text
