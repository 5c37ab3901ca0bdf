"""A clerk records the claimant's monthly check-in (报到) from the case page: checked by the
API's model (CheckInIn) and recorded by the same service as POST
/api/v1/cases/{case_id}/check-ins; a refusal comes back beside the date."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from api.pages.case import case_page
from api.pages.form_model import field_name, read_form
from api.pages.web import CheckInPageUser, redirect, text
from api.schemas import CheckInIn
from api.services import ActionError
from api.services import cases as actions

router = APIRouter()


class CheckInForm(BaseModel):
    date: str = ""  # blank: today on the system clock
    channel: str = "counter"
    csrf_token: str = ""


@router.post("/cases/{case_id}/check-ins", response_model=None)
async def check_in(
    request: Request,
    case_id: str,
    form: Annotated[CheckInForm, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: CheckInPageUser,
) -> Response:
    """Check the claimant in for the running benefit month; then back to the case page."""
    body, values, errs = read_form(CheckInIn, form, lambda key: text(request, key))
    status = 422
    if body is not None:
        try:
            done = await actions.check_in(
                client,
                user,
                case_id,
                body.date,
                body.channel,
                patience=runtime.settings.temporal_update_seconds,
            )
        except ActionError as err:
            # a refusal about no field in particular is still shown beside the date
            errs.add(field_name(err.loc or [], values.keys()) or "date", err.message)
            status = err.status
        else:
            flash = text(request, "checkin.ok", month=done.month, on=done.on.isoformat())
            return redirect(f"/staff/cases/{case_id}", flash=flash)
    session.expire_all()
    return await case_page(
        request, session, runtime, user, case_id, check_in=values, errors=errs, status=status
    )
