"""A clerk moves an active case to another pooling region from the case page (DOMAIN.md
stage 9): checked by the API's model (TransferIn) and carried out by the same service as
POST /api/v1/cases/{case_id}/transfers; a refusal comes back beside the region."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from api.pages.case import case_page
from api.pages.form_model import field_name, read_form
from api.pages.web import IntakePageUser, redirect, text
from api.schemas import TransferIn
from api.services import ActionError
from api.services import cases as actions

router = APIRouter()


class TransferForm(BaseModel):
    to_region_code: str = ""
    csrf_token: str = ""


@router.post("/cases/{case_id}/transfers", response_model=None)
async def transfer(
    request: Request,
    case_id: str,
    form: Annotated[TransferForm, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: IntakePageUser,
) -> Response:
    """Transfer the case; then back to its page (the destination's is linked there)."""
    body, values, errs = read_form(TransferIn, form, lambda key: text(request, key))
    status = 422
    if body is not None:
        try:
            done = await actions.transfer(runtime, client, user, case_id, body.to_region_code)
        except ActionError as err:
            errs.add(field_name(err.loc or [], values.keys()) or "to_region_code", err.message)
            status = err.status
        else:
            flash = text(request, "transfer.ok", to=done.to_region_code)
            return redirect(f"/staff/cases/{case_id}", flash=flash)
    session.expire_all()
    return await case_page(
        request, session, runtime, user, case_id, transfer=values, errors=errs, status=status
    )
