"""The case page (status, deadlines, proposal, entitlement, decision, payments, timeline,
audit trail, tasks) and its decision notice for printing."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import RuntimeDep, SessionDep
from api.pages.casedata import load_case, module_available
from api.pages.web import PageError, PageUser, lang_of, render
from domain.review import REJECTION_REASONS

router = APIRouter()
NOTICES = "api.services.notices"


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def show_case(
    request: Request, case_id: str, session: SessionDep, runtime: RuntimeDep, user: PageUser
) -> HTMLResponse:
    """Everything about one case."""
    view = await asyncio.to_thread(load_case, session, case_id, full=True)
    if view is None:
        raise PageError(404, "error.not_found", f"no case {case_id}")
    return await render(
        request,
        "staff/case.html",
        {
            "view": view,
            "rejection_reasons": REJECTION_REASONS,
            "notices": module_available(NOTICES) and view.case.decision is not None,
            "is_supervisor": "supervisor" in user.role_set,
        },
        runtime=runtime,
        session=session,
        user=user,
    )


def _notices() -> Any:
    if not module_available(NOTICES):
        raise PageError(404, "error.unavailable")
    return importlib.import_module(NOTICES)


@router.get("/cases/{case_id}/notice", response_class=HTMLResponse)
def notice_html(
    request: Request, case_id: str, session: SessionDep, user: PageUser
) -> HTMLResponse:
    """The decision notice, to read or print."""
    html = _notices().render_notice_html(session, case_id, lang_of(request))
    if html is None:
        raise PageError(404, "case.no_decision")
    return HTMLResponse(html)


@router.get("/cases/{case_id}/notice.pdf")
def notice_pdf(request: Request, case_id: str, session: SessionDep, user: PageUser) -> Response:
    """The decision notice as a PDF download."""
    pdf = _notices().render_notice_pdf(session, case_id, lang_of(request))
    if pdf is None:
        raise PageError(404, "case.no_decision")
    name = quote(f"notice-{case_id}.pdf")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )
