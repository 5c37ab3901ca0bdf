"""Monthly check-ins (报到): from the claimant portal or recorded by a clerk in person."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from api.access import check_case_region_off_loop
from api.deps import (
    BUSY,
    REFUSED,
    STAFF,
    IntakeUser,
    RuntimeDep,
    TemporalClientDep,
)
from api.errors import http_error
from api.schemas import CheckInIn, CheckInOut
from api.services import ActionError
from api.services import cases as actions

router = APIRouter(prefix="/cases", tags=["check-ins"], responses=STAFF)
# a client's key for one check-in: sent again with a retry (after a 503 or a lost answer), the
# check-in is made once and answered again with its result
KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,64}$"


@router.post(
    "/{case_id}/check-ins",
    status_code=201,
    response_model=CheckInOut,
    responses={**REFUSED, **BUSY},
)
async def check_in(
    case_id: str,
    body: CheckInIn,
    user: IntakeUser,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    idempotency_key: Annotated[str | None, Header(pattern=KEY_PATTERN)] = None,
) -> CheckInOut:
    """Check the claimant in for the running benefit month (once per month)."""
    await check_case_region_off_loop(runtime, user, case_id)
    try:
        res = await actions.check_in(
            client,
            user,
            case_id,
            body.date,
            body.channel,
            request_key=f"{case_id}-{idempotency_key}" if idempotency_key else None,
            patience=runtime.settings.temporal_update_seconds,
        )
    except ActionError as err:
        raise http_error(err) from err
    return CheckInOut(
        month=res.month, period_start=res.period_start, period_end=res.period_end, on=res.on
    )
