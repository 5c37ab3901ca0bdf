"""A clerk records a stop event from the case page (issue 11): checked by the API's model
(StopEventIn) and recorded by the same service as POST /api/v1/cases/{case_id}/events; a
refusal comes back beside its field."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from api.pages.case import case_page
from api.pages.form_model import field_name, read_form
from api.pages.web import IntakePageUser, redirect, text
from api.routes.events import StopEventIn, event_data
from api.services import ActionError
from api.services import stop_events as actions

router = APIRouter()
SURVIVOR = (
    "data__survivor_account__bank_code",
    "data__survivor_account__account_number",
    "data__survivor_account__account_name",
)


class StopEventForm(BaseModel):
    type: str = ""
    effective_date: str = ""
    data__evidence: str = ""
    data__dependents: str = ""
    data__public_service: str = ""
    data__unlawful: str = ""
    data__survivor_account__bank_code: str = ""
    data__survivor_account__account_number: str = ""
    data__survivor_account__account_name: str = ""
    data__uscc: str = ""
    csrf_token: str = ""


@router.post("/cases/{case_id}/events", response_model=None)
async def report_event(
    request: Request,
    case_id: str,
    form: Annotated[StopEventForm, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: IntakePageUser,
) -> Response:
    """Record the stop event; then back to the case page."""
    blank_account = not any(getattr(form, name).strip() for name in SURVIVOR)
    body, values, errs = read_form(
        StopEventIn, form, lambda key: text(request, key), exclude=SURVIVOR if blank_account else ()
    )
    status = 422
    if body is not None:
        try:
            done = await actions.report_event(
                client, user, case_id, body.type, body.effective_date, event_data(body.data)
            )
        except ActionError as err:
            errs.add(field_name(err.loc or [], values.keys()) or "type", err.message)
            status = err.status
        else:
            kind = text(request, f"stop_type.{done.type}")
            flash = text(request, "stop.ok", type=kind, day=done.effective_date.isoformat())
            return redirect(f"/staff/cases/{case_id}", flash=flash)
    session.expire_all()
    return await case_page(
        request, session, runtime, user, case_id, stop_event=values, errors=errs, status=status
    )
