"""Decision notices of a case: HTML to view, PDF to print or hand over."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import CurrentUser, RuntimeDep, SessionDep
from api.services.notices import Lang, Notice, build_notice, html_to_pdf, notice_html
from db.models import CaseRecord

router = APIRouter(prefix="/cases", tags=["notices"])

LangQuery = Annotated[Lang, Query(description="zh (default), or en for a bilingual notice")]


def _notice(session: SessionDep, runtime: RuntimeDep, case_id: str, lang: Lang) -> Notice:
    if session.get(CaseRecord, case_id) is None:
        raise HTTPException(404, f"no case {case_id}")
    notice = build_notice(session, case_id, lang, book=runtime.book)
    if notice is None:
        raise HTTPException(404, f"case {case_id} has no review decision yet, so no notice")
    return notice


@router.get(
    "/{case_id}/notice",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, 404: {"description": "no case or decision"}},
)
def notice_page(
    case_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    user: CurrentUser,
    lang: LangQuery = "zh",
) -> HTMLResponse:
    """The decision notice (approval or refusal) as printable HTML."""
    return HTMLResponse(notice_html(_notice(session, runtime, case_id, lang)))


@router.get(
    "/{case_id}/notice.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "the notice as an A4 PDF"},
        404: {"description": "no case or decision"},
    },
)
def notice_pdf(
    case_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    user: CurrentUser,
    lang: LangQuery = "zh",
) -> Response:
    """The decision notice as an A4 PDF download."""
    notice = _notice(session, runtime, case_id, lang)
    pdf = html_to_pdf(notice_html(notice))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": notice.content_disposition},
    )
