"""Monthly check-ins (报到): from the claimant portal or recorded by a clerk in person."""

from __future__ import annotations

from datetime import date as Date

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from api.deps import CurrentUser, TemporalClientDep
from api.errors import field_error
from api.services import ActionError
from api.services import cases as actions

router = APIRouter(prefix="/cases", tags=["check-ins"])


class CheckInIn(BaseModel):
    date: Date | None = Field(default=None, description="defaults to today on the system clock")
    channel: str = Field(default="counter", pattern="^(counter|online)$")


class CheckInOut(BaseModel):
    month: int
    period_start: Date
    period_end: Date
    on: Date


@router.post("/{case_id}/check-ins", status_code=201, response_model=CheckInOut)
async def check_in(
    case_id: str, body: CheckInIn, user: CurrentUser, client: TemporalClientDep
) -> CheckInOut:
    """Check the claimant in for the running benefit month (once per month)."""
    if not user.role_set & {"clerk", "supervisor"}:
        raise HTTPException(403, "check-ins are recorded by clerks")
    try:
        res = await actions.check_in(client, user, case_id, body.date, body.channel)
    except ActionError as err:
        if err.loc:
            loc = ["body", "date"] if err.loc[-1] == "date" else err.loc
            raise field_error(loc, err.message) from err
        raise HTTPException(err.status, err.message) from err
    return CheckInOut(
        month=res.month, period_start=res.period_start, period_end=res.period_end, on=res.on
    )
