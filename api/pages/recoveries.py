"""Recovery pages (issue 11 §4): finance sees the open recoveries with their balances and
records repayments and asks for offsets (each a supervisor's task, decided on the task page);
a supervisor sees the fraud findings awaiting the labour department's decision. Every action
is the REST one's (db/recoveries.py, api/services/recoveries.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from api.deps import RuntimeDep, TemporalClientDep
from api.pages.task_forms import FormErrors, field_of
from api.pages.web import PageError, PageUser, now, redirect, render, text
from api.runtime import Runtime
from api.services import ActionError
from api.services.recoveries import ask_offset as ask
from api.services.recoveries import balance_out, run
from db.models import User
from db.recoveries import fraud_referrals, open_balances, pending_offsets, record_repayment
from workflows import ids

router = APIRouter()


class RepayForm(BaseModel):
    amount: str = ""
    paid_on: str = ""
    reference: str = ""
    key: str = ""


class OffsetForm(BaseModel):
    case_id: str = ""


def _allow(user: User, *roles: str) -> None:
    if not user.role_set & set(roles):
        raise PageError(403, "error.forbidden")


def _lists(session: Session) -> dict[str, Any]:
    return {
        "open": [balance_out(b) for b in open_balances(session)],
        "offsets": [(o, ids.offset_task(o.id or 0)) for o in pending_offsets(session)],
        "fraud": [balance_out(b) for b in fraud_referrals(session)],
    }


async def recoveries_page(
    request: Request,
    runtime: Runtime,
    user: User,
    *,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
    template: str = "staff/recoveries.html",
) -> HTMLResponse:
    lists = await run(runtime.engine, _lists)
    errs = errors or FormErrors()
    return await render(
        request,
        template,
        {
            **lists,
            "form": form or {},
            "errors": errs.fields,
            "form_error": errs.general,
            "new_key": uuid.uuid4().hex,
        },
        runtime=runtime,
        user=user,
        status=status,
    )


@router.get("/recoveries", response_class=HTMLResponse)
async def show(request: Request, runtime: RuntimeDep, user: PageUser) -> HTMLResponse:
    """Open recoveries with their balances; offset requests awaiting a supervisor."""
    _allow(user, "finance", "supervisor")
    return await recoveries_page(request, runtime, user)


@router.get("/supervisor/fraud", response_class=HTMLResponse)
async def fraud(request: Request, runtime: RuntimeDep, user: PageUser) -> HTMLResponse:
    """Fraud findings (骗取) referred to the labour department, with their balances."""
    _allow(user, "supervisor")
    return await recoveries_page(request, runtime, user, template="staff/fraud.html")


async def _act(
    request: Request,
    runtime: Runtime,
    user: User,
    form: dict[str, Any],
    errs: FormErrors,
    work: Callable[[], Awaitable[Any]],
    flash_key: str,
) -> Response:
    status = 422
    if not errs.fields:
        try:
            await work()
        except ActionError as err:
            errs.add(field_of(err.loc), err.message)
            status = err.status
        else:
            return redirect("/staff/recoveries", flash=text(request, flash_key))
    return await recoveries_page(request, runtime, user, form=form, errors=errs, status=status)


@router.post("/recoveries/{recovery_id}/repay", response_model=None)
async def repay(
    request: Request,
    recovery_id: int,
    form: Annotated[RepayForm, Form()],
    runtime: RuntimeDep,
    user: PageUser,
) -> Response:
    """Finance records a repayment (a `refund` ledger entry)."""
    _allow(user, "finance")
    errs = FormErrors()
    amount, paid_on = Decimal("0"), (await now(runtime)).date()
    try:
        amount = Decimal(form.amount.strip())
    except InvalidOperation:
        errs.add("amount", text(request, "error.required"))
    if form.paid_on.strip():
        try:
            paid_on = date.fromisoformat(form.paid_on.strip())
        except ValueError:
            errs.add("paid_on", text(request, "error.date"))
    at = await now(runtime)
    key = f"repay:{recovery_id}:{form.key or uuid.uuid4().hex}"

    def action(session: Session) -> None:
        record_repayment(
            session,
            recovery_id=recovery_id,
            amount=amount,
            on=paid_on,
            recorded_by=user.username,
            key=key,
            at=at,
            reference=form.reference.strip() or None,
        )

    shown = {**form.model_dump(), "recovery_id": recovery_id}
    return await _act(
        request, runtime, user, shown, errs, lambda: run(runtime.engine, action), "rec.repaid_ok"
    )


@router.post("/recoveries/{recovery_id}/offset", response_model=None)
async def ask_offset(
    request: Request,
    recovery_id: int,
    form: Annotated[OffsetForm, Form()],
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: PageUser,
) -> Response:
    """Ask for an offset against the claimant's later case: a task for the supervisors."""
    _allow(user, "finance", "supervisor")
    errs = FormErrors()
    if not form.case_id.strip():
        errs.add("case_id", text(request, "error.required"))
    shown = {**form.model_dump(), "recovery_id": recovery_id}
    return await _act(
        request,
        runtime,
        user,
        shown,
        errs,
        lambda: ask(runtime, client, user, recovery_id, form.case_id.strip()),
        "rec.offset_asked_ok",
    )
