"""The case page (status, deadlines, proposal, entitlement, decision, payments, timeline,
notifications, audit trail, tasks, the check-in form) and its decision notice for printing."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from temporalio.service import RPCError

from api.deps import RuntimeDep, SessionDep
from api.pages.case_recovery import recovery_parts
from api.pages.casedata import load_case, module_available
from api.pages.task_forms import FormErrors
from api.pages.web import PageError, StaffPageUser, lang_of, render
from api.runtime import Runtime
from api.services.cases import offers_check_in
from api.services.stop_events import offers_stop_event
from api.services.warning_notice import warning_key
from db import cases as cases_db
from db.models import User
from domain.medical import INSURED_ELSEWHERE
from domain.review import REJECTION_REASONS
from domain.stops import STOP_TYPES
from workflows import ids

router = APIRouter()
NOTICES = "api.services.notices"


async def case_is_opening(runtime: Runtime, case_id: str) -> bool:
    """The case's workflow runs but its read model is not written yet (a moment after
    intake): the page says so and looks again, rather than "not found"."""
    try:
        client = await runtime.temporal.client()
    except Exception:  # Temporal not reachable: nothing to say beyond "not found"
        return False
    try:
        await client.get_workflow_handle(ids.case(case_id)).describe()
    except RPCError:
        return False
    return True


def _warned(session: Session, case_id: str) -> bool:
    """A first refused offer was confirmed: the case has its warning notice."""
    return cases_db.has_determination(session, key=warning_key(case_id))


async def case_page(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: User,
    case_id: str,
    *,
    check_in: dict[str, Any] | None = None,
    stop_event: dict[str, Any] | None = None,
    transfer: dict[str, Any] | None = None,
    cash_option: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Everything about one case, with the check-in form (and its errors, when it was sent)."""
    view = await asyncio.to_thread(load_case, session, case_id, full=True)
    if view is None:
        if await case_is_opening(runtime, case_id):
            return await render(
                request,
                "staff/case_pending.html",
                {"case_id": case_id},
                runtime=runtime,
                session=session,
                user=user,
                keep_flash=True,
            )
        raise PageError(404, "error.not_found", f"no case {case_id}")
    errs = errors or FormErrors()
    recovery = await asyncio.to_thread(recovery_parts, session, view.case)
    warned = await asyncio.to_thread(_warned, session, case_id)
    return await render(
        request,
        "staff/case.html",
        {
            "view": view,
            "rejection_reasons": REJECTION_REASONS,
            "notices": module_available(NOTICES) and view.case.decision is not None,
            "stop_notice": module_available(NOTICES) and view.case.status == "stopped",
            "warning_notice": warned,
            "is_supervisor": "supervisor" in user.role_set,
            "can_check_in": offers_check_in(user, view.case),
            "check_in": check_in,  # None: the date defaults to today on the system clock
            "can_report_stop": offers_stop_event(user, view.case),
            "stop_event": stop_event or {},
            "stop_types": STOP_TYPES,
            "can_transfer": offers_check_in(user, view.case) and view.case.status == "active",
            "transfer": transfer or {},
            "can_ask_cash_option": offers_check_in(user, view.case)
            and view.case.status == "active"
            and not any(e.type == "medical_cash_option" for e in view.events),
            "cash_option": cash_option,  # None: the form was not sent
            "insured_elsewhere": INSURED_ELSEWHERE,
            "regions": sorted(
                (code, r.name)
                for code, r in runtime.book.regions.items()
                if code != view.case.region_code
            ),
            "errors": errs.fields,
            "form_error": errs.general,
            **recovery,
        },
        runtime=runtime,
        session=session,
        user=user,
        status=status,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def show_case(
    request: Request, case_id: str, session: SessionDep, runtime: RuntimeDep, user: StaffPageUser
) -> HTMLResponse:
    """Everything about one case."""
    return await case_page(request, session, runtime, user, case_id)


def _notices() -> Any:
    if not module_available(NOTICES):
        raise PageError(404, "error.unavailable")
    return importlib.import_module(NOTICES)


@router.get("/cases/{case_id}/notice", response_class=HTMLResponse)
def notice_html(
    request: Request, case_id: str, session: SessionDep, user: StaffPageUser
) -> HTMLResponse:
    """The decision notice, to read or print."""
    html = _notices().render_notice_html(session, case_id, lang_of(request))
    if html is None:
        raise PageError(404, "case.no_decision")
    return HTMLResponse(html)


@router.get("/cases/{case_id}/notice.pdf")
def notice_pdf(
    request: Request, case_id: str, session: SessionDep, user: StaffPageUser
) -> Response:
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


@router.get("/cases/{case_id}/notices/{kind}.pdf")
def notice_of_kind_pdf(
    request: Request, case_id: str, kind: str, session: SessionDep, user: StaffPageUser
) -> Response:
    """One notice of the case (`decision`, `warning`, `stop`) as a PDF download."""
    notices = _notices()
    if kind not in notices.NOTICE_KINDS:
        raise PageError(404, "error.not_found", f"no {kind} notice")
    notice = notices.build_notice_of_kind(session, case_id, kind, lang_of(request))
    if notice is None:
        raise PageError(404, "error.not_found", f"case {case_id} has no {kind} notice")
    pdf = notices.html_to_pdf(notices.notice_html(notice))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": notice.content_disposition},
    )


@router.get("/cases/{case_id}/notices/{kind}", response_class=HTMLResponse)
def notice_of_kind_html(
    request: Request, case_id: str, kind: str, session: SessionDep, user: StaffPageUser
) -> HTMLResponse:
    """One notice of the case (`decision`, `warning`, `stop`), to read or print."""
    notices = _notices()
    if kind not in notices.NOTICE_KINDS:
        raise PageError(404, "error.not_found", f"no {kind} notice")
    notice = notices.build_notice_of_kind(session, case_id, kind, lang_of(request))
    if notice is None:
        raise PageError(404, "error.not_found", f"case {case_id} has no {kind} notice")
    return HTMLResponse(notices.notice_html(notice))
