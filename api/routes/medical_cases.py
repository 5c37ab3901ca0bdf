"""A case's medical cover (DOMAIN.md stage 6): the clerk records the claimant's written request
for the ≤ 3-month cash option (seed 000 范文1 §4.6); the case's medical stage decides."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import REFUSED, STAFF, IntakeUser, TemporalClientDep
from api.errors import http_error
from api.schemas import CashOptionIn, CashOptionOut
from api.services import ActionError
from api.services import cases as actions

router = APIRouter(prefix="/cases", tags=["medical"], responses={**STAFF, **REFUSED})


@router.post("/{case_id}/medical/cash-option", status_code=201, response_model=CashOptionOut)
async def record_cash_option(
    case_id: str, body: CashOptionIn, user: IntakeUser, client: TemporalClientDep
) -> CashOptionOut:
    """Pay the medical premium to the claimant with the benefit instead of declaring them
    (3 or fewer months left, insured elsewhere, a written request). 422 names the field."""
    try:
        res = await actions.record_cash_option(
            client, user, case_id, body.requested_on, body.insured_elsewhere, body.written_request
        )
    except ActionError as err:
        raise http_error(err) from err
    return CashOptionOut(months_left=res.months_left, cash_option=res.cash_option)
