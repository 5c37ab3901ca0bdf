"""The two entry points of a case: the employer's report and the claimant's registration
(the work is in api/services/intake.py, shared with the staff pages)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import (
    REFUSED,
    STAFF,
    IntakeUser,
    RuntimeDep,
    TemporalClientDep,
)
from api.errors import http_error
from api.schemas import CaseRef, EmployerReportIn, RegistrationIn
from api.services import ActionError, intake

router = APIRouter(tags=["intake"], responses=STAFF)


@router.post("/employer-reports", status_code=201, response_model=CaseRef, responses=REFUSED)
async def file_employer_report(
    body: EmployerReportIn, user: IntakeUser, runtime: RuntimeDep, client: TemporalClientDep
) -> CaseRef:
    """File an employer's termination report; opens or joins the claimant's case (409 naming
    the person's open case when the report is not about it: domain/open_cases.py)."""
    try:
        return CaseRef(case_id=await intake.file_employer_report(runtime, client, user, body))
    except ActionError as err:
        raise http_error(err) from err


@router.post("/registrations", status_code=201, response_model=CaseRef, responses=REFUSED)
async def file_registration(
    body: RegistrationIn, user: IntakeUser, runtime: RuntimeDep, client: TemporalClientDep
) -> CaseRef:
    """Register a claimant as unemployed and apply for benefits; opens or joins the case (409
    naming the person's open case when the registration is not about it)."""
    try:
        return CaseRef(case_id=await intake.file_registration(runtime, client, user, body))
    except ActionError as err:
        raise http_error(err) from err
