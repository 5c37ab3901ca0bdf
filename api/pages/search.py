"""Find a case: by case ID, claimant name or identity number, typed into one field of a form
that is POSTed, so an identity number never lands in a URL, a log line or the history. The
search itself is the API's (api/services/case_search.py); the list masks identity numbers."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlmodel import Session

from api.deps import RuntimeDep, SessionDep
from api.pages.task_forms import FormErrors
from api.pages.web import StaffPageUser, render, text
from api.runtime import Runtime
from api.services import ActionError
from api.services import case_search as search
from db.cases import CaseFilters, find_cases
from db.models import CaseRecord, User
from domain.identifiers import mask_national_id

router = APIRouter()
PAGE_SIZE = 50


class SearchForm(BaseModel):
    q: str = ""
    csrf_token: str = ""


async def search_page(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: User,
    *,
    q: str = "",
    searched_for: str | None = None,
    rows: list[CaseRecord] | None = None,
    total: int = 0,
    errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    errs = errors or FormErrors()
    return await render(
        request,
        "staff/search.html",
        {
            "q": q,
            "searched_for": searched_for,
            "rows": rows,
            "total": total,
            "errors": errs.fields,
            "form_error": errs.general,
        },
        runtime=runtime,
        session=session,
        user=user,
        status=status,
    )


@router.get("/cases", response_class=HTMLResponse)
async def show(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: StaffPageUser
) -> HTMLResponse:
    """The search form."""
    return await search_page(request, session, runtime, user)


@router.post("/cases/search", response_class=HTMLResponse)
async def find(
    request: Request,
    form: Annotated[SearchForm, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
    user: StaffPageUser,
) -> HTMLResponse:
    """The cases found; an identity number is matched whole, through its keyed hash."""
    q = form.q.strip()
    errs = FormErrors()
    if not q:
        errs.add("q", text(request, "error.required"))
        return await search_page(request, session, runtime, user, errors=errs, status=422)
    by_id = search.looks_like_national_id(q)
    try:
        if by_id:
            filters = CaseFilters(national_id_hash=search.national_id_hash(runtime, q, ["q"]))
        else:
            filters = CaseFilters(name_or_id=search.name_or_case_id(q, ["q"]))
    except ActionError as err:
        errs.add("q", err.message)
        return await search_page(request, session, runtime, user, q=q, errors=errs, status=422)
    rows, total = await asyncio.to_thread(
        lambda: find_cases(session, filters=filters, limit=PAGE_SIZE)
    )
    return await search_page(
        request,
        session,
        runtime,
        user,
        # the identity number is not shown again, only its masked form
        q="" if by_id else q,
        searched_for=mask_national_id(q) if by_id else q,
        rows=rows,
        total=total,
    )
