"""The reconciliation page (账账相符): a day's ledger totals per category beside what the bank
statement matched, the day's mismatches with their finance tasks, the latest reconciled days,
and a form to reconcile a past day by hand."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from api.pages.finance import require_finance
from api.pages.task_forms import FormErrors
from api.pages.web import StaffPageUser, now, redirect, render, text
from api.runtime import Runtime
from api.services import ActionError
from api.services.reconciliations import day_view, recent_days, start_day
from db.models import User
from domain.calendar import AGENCY_TZ

router = APIRouter()
PATH = "/staff/finance/reconciliation"


class ReconcileForm(BaseModel):
    day: str = ""


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw.strip()) if raw else None
    except ValueError:
        return None


async def reconciliation_page(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: User,
    *,
    day: date | None = None,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    days = await asyncio.to_thread(recent_days, session)
    yesterday = (await now(runtime)).astimezone(AGENCY_TZ).date() - timedelta(days=1)
    shown = day or (days[0].record.day if days else yesterday)
    view = await asyncio.to_thread(day_view, session, shown)
    errs = errors or FormErrors()
    return await render(
        request,
        "staff/finance_reconciliation.html",
        {
            "days": days,
            "view": view,
            "form": form or {"day": yesterday.isoformat()},
            "errors": errs.fields,
            "form_error": errs.general,
        },
        runtime=runtime,
        session=session,
        user=user,
        status=status,
    )


@router.get("/finance/reconciliation", response_class=HTMLResponse)
async def show(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: StaffPageUser
) -> HTMLResponse:
    """A day (`?day=YYYY-MM-DD`, else the latest reconciled one) against the bank statement."""
    require_finance(user)
    raw = request.query_params.get("day")
    day = _parse_day(raw)
    if raw and day is None:
        errs = FormErrors()
        errs.add("day", "error.date")
        return await reconciliation_page(
            request, session, runtime, user, form={"day": raw}, errors=errs, status=422
        )
    return await reconciliation_page(request, session, runtime, user, day=day)


@router.post("/finance/reconciliation", response_model=None)
async def reconcile(
    request: Request,
    form: Annotated[ReconcileForm, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: StaffPageUser,
) -> Response:
    """Reconcile a past day now (once: a day already started is not started again)."""
    require_finance(user)
    errs = FormErrors()
    day = _parse_day(form.day)
    if not form.day.strip():
        errs.add("day", "error.required")
    elif day is None:
        errs.add("day", "error.date")
    else:
        try:
            await start_day(runtime, client, user, day)
        except ActionError as err:
            errs.add("day", text(request, "recon.past_day_only") if err.loc else err.message)
        else:
            flash = text(request, "recon.started", day=day.isoformat())
            return redirect(f"{PATH}?day={day.isoformat()}", flash=flash)
    return await reconciliation_page(
        request, session, runtime, user, form=form.model_dump(), errors=errs, status=422
    )
