"""Notices of a case: HTML to view, PDF to print or hand over. `/notice` is the review
decision's; `/notices` lists every notice (the review decision, the warning of a first refused
offer, a stop) and `/notices/{kind}` shows one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from api.access import check_case_region
from api.deps import NOT_FOUND, STAFF, RuntimeDep, SessionDep, StaffUser
from api.services.notices import (
    TITLES,
    Lang,
    Notice,
    NoticeKind,
    build_notice,
    build_notice_of_kind,
    html_to_pdf,
    list_notices,
    notice_html,
)
from db.models import User

router = APIRouter(prefix="/cases", tags=["notices"], responses=STAFF)

LangQuery = Annotated[Lang, Query(description="zh (default), or en for a bilingual notice")]


def _notice(
    session: SessionDep, runtime: RuntimeDep, user: User, case_id: str, lang: Lang
) -> Notice:
    if check_case_region(session, user, case_id) is None:
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
    user: StaffUser,
    lang: LangQuery = "zh",
) -> HTMLResponse:
    """The decision notice (approval or refusal) as printable HTML."""
    return HTMLResponse(notice_html(_notice(session, runtime, user, case_id, lang)))


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
    user: StaffUser,
    lang: LangQuery = "zh",
) -> Response:
    """The decision notice as an A4 PDF download."""
    notice = _notice(session, runtime, user, case_id, lang)
    pdf = html_to_pdf(notice_html(notice))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": notice.content_disposition},
    )


class NoticeOut(BaseModel):
    kind: NoticeKind
    title: str
    title_en: str
    number: str
    decided_on: str
    html: str
    pdf: str


@router.get("/{case_id}/notices", response_model=list[NoticeOut], responses=NOT_FOUND)
def notices_of_case(
    case_id: str, session: SessionDep, runtime: RuntimeDep, user: StaffUser
) -> list[NoticeOut]:
    """Every notice of the case: the review decision's, the warning of a first refused offer,
    the stop's (missed check-ins or a stop event)."""
    if check_case_region(session, user, case_id) is None:
        raise HTTPException(404, f"no case {case_id}")
    return [
        NoticeOut(
            kind=kind,
            title=TITLES[n.outcome][0],
            title_en=TITLES[n.outcome][1],
            number=n.number,
            decided_on=n.decided_on.isoformat(),
            html=f"/api/v1/cases/{case_id}/notices/{kind}",
            pdf=f"/api/v1/cases/{case_id}/notices/{kind}.pdf",
        )
        for kind, n in list_notices(session, case_id, book=runtime.book)
    ]


def _notice_of_kind(
    session: SessionDep,
    runtime: RuntimeDep,
    user: User,
    case_id: str,
    kind: NoticeKind,
    lang: Lang,
) -> Notice:
    if check_case_region(session, user, case_id) is None:
        raise HTTPException(404, f"no case {case_id}")
    notice = build_notice_of_kind(session, case_id, kind, lang, book=runtime.book)
    if notice is None:
        raise HTTPException(404, f"case {case_id} has no {kind} notice")
    return notice


@router.get(  # before /notices/{kind}, which would take "stop.pdf" as the kind
    "/{case_id}/notices/{kind}.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "the notice as an A4 PDF"},
        404: {"description": "no case or no such notice"},
    },
)
def notice_of_kind_pdf(
    case_id: str,
    kind: NoticeKind,
    session: SessionDep,
    runtime: RuntimeDep,
    user: StaffUser,
    lang: LangQuery = "zh",
) -> Response:
    """One notice of the case as an A4 PDF download."""
    notice = _notice_of_kind(session, runtime, user, case_id, kind, lang)
    return Response(
        html_to_pdf(notice_html(notice)),
        media_type="application/pdf",
        headers={"Content-Disposition": notice.content_disposition},
    )


@router.get(
    "/{case_id}/notices/{kind}",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, 404: {"description": "no such notice"}},
)
def notice_of_kind_page(
    case_id: str,
    kind: NoticeKind,
    session: SessionDep,
    runtime: RuntimeDep,
    user: StaffUser,
    lang: LangQuery = "zh",
) -> HTMLResponse:
    """One notice of the case (`decision`, `warning` or `stop`) as printable HTML."""
    return HTMLResponse(notice_html(_notice_of_kind(session, runtime, user, case_id, kind, lang)))
