"""A clerk records the claimant's written request for the ≤ 3-month medical cash option from
the case page (seed 000 范文1 §4.6): checked by the API's model (CashOptionIn) and recorded by
the same service as POST /api/v1/cases/{case_id}/medical/cash-option; a refusal comes back
beside its field, or above the form when it is about the case (months left, cover)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from api.pages.case import case_page
from api.pages.form_model import field_name, read_form
from api.pages.web import IntakePageUser, redirect, text
from api.schemas import CashOptionIn
from api.services import ActionError
from api.services import cases as actions

router = APIRouter()


class CashOptionForm(BaseModel):
    requested_on: str = ""
    insured_elsewhere: str = ""
    written_request: str = "false"  # a checkbox: absent when not ticked
    csrf_token: str = ""


@router.post("/cases/{case_id}/medical/cash-option", response_model=None)
async def record_cash_option(
    request: Request,
    case_id: str,
    form: Annotated[CashOptionForm, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: IntakePageUser,
) -> Response:
    """Record the request; then back to the case page."""
    body, values, errs = read_form(CashOptionIn, form, lambda key: text(request, key))
    status = 422
    if body is not None:
        try:
            done = await actions.record_cash_option(
                client,
                user,
                case_id,
                body.requested_on,
                body.insured_elsewhere,
                body.written_request,
            )
        except ActionError as err:
            errs.add(field_name(err.loc or [], values.keys()), err.message)
            status = err.status
        else:
            flash = text(request, "cash_option.ok", months=done.months_left)
            return redirect(f"/staff/cases/{case_id}", flash=flash)
    session.expire_all()
    return await case_page(
        request, session, runtime, user, case_id, cash_option=values, errors=errs, status=status
    )
