"""The administrator's holiday-calendar page: the years the calendar knows and where each
comes from, and a form to load a year's official schedule (paste or upload, TOML or JSON)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from api.pages.task_forms import FormErrors
from api.pages.web import PageUser, redirect, render, require_role, text
from api.runtime import Runtime
from api.services import ActionError
from api.services import calendar as service
from db.models import User
from domain.calendar_documents import MAX_DOCUMENT_BYTES

router = APIRouter()
PATH = "/staff/calendar"


async def calendar_page(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: User,
    *,
    document: str = "",
    errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    years = await asyncio.to_thread(service.list_years, session, runtime.book.calendar)
    errs = errors or FormErrors()
    return await render(
        request,
        "staff/calendar.html",
        {"years": years, "document": document, "errors": errs.fields, "form_error": errs.general},
        runtime=runtime,
        session=session,
        user=user,
        status=status,
    )


@router.get("/calendar", response_class=HTMLResponse)
async def show(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: PageUser
) -> HTMLResponse:
    """The known years, with the form to load one."""
    require_role(user, "admin")
    return await calendar_page(request, session, runtime, user)


async def _uploaded(upload: UploadFile | None) -> str | None:
    """The uploaded file's text; None when no file was chosen; ValueError when unreadable."""
    if upload is None or not upload.filename:
        return None
    raw = await upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"document: larger than {MAX_DOCUMENT_BYTES // 1024} KiB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("error.not_utf8") from None


@router.post("/calendar", response_model=None)
async def load(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: PageUser,
    document: Annotated[str, Form()] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Check and load a year's schedule; on a mistake the form comes back with the entry."""
    require_role(user, "admin")
    errs = FormErrors()
    try:
        uploaded = await _uploaded(upload)
    except ValueError as err:
        uploaded = None
        errs.add("upload", str(err))
    text_in = uploaded if uploaded is not None else document
    if not errs and not text_in.strip():
        errs.add("document", "error.document_required")
    if not errs:
        try:
            loaded = await service.load_year(runtime, client, user, text_in)
        except ActionError as err:
            errs.add("document", err.message)
        else:
            key = "cal.loaded_ok" if loaded.changed else "cal.unchanged_ok"
            info = loaded.info
            flash = text(
                request, key, year=info.year, version=info.version, cases=loaded.cases_signalled
            )
            return redirect(PATH, flash=flash)
    return await calendar_page(
        request, session, runtime, user, document=text_in, errors=errs, status=422
    )
