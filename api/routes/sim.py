"""The simulated clock (CLOCK=simulated only; 404 in real mode)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from api.deps import STAFF, CurrentUser, RuntimeDep, TemporalClientDep
from api.schemas import AdvanceClockIn, ClockOut
from domain.calendar import AGENCY_TZ

router = APIRouter(prefix="/sim/clock", tags=["simulated clock"], responses=STAFF)


def _only_simulated(runtime: RuntimeDep) -> None:
    if not runtime.clock.simulated:
        raise HTTPException(404, "Not Found")


@router.get("", response_model=ClockOut)
async def read_clock(runtime: RuntimeDep, user: CurrentUser, client: TemporalClientDep) -> ClockOut:
    """The simulated time now."""
    _only_simulated(runtime)
    now = await runtime.clock.now(client)
    return ClockOut(now=now, today=now.astimezone(AGENCY_TZ).date())


@router.post("/advance", response_model=ClockOut)
async def advance_clock(
    body: AdvanceClockIn, runtime: RuntimeDep, user: CurrentUser, client: TemporalClientDep
) -> ClockOut:
    """Move simulated time forward by `days`; every timer due on the way fires in order."""
    _only_simulated(runtime)
    now = await runtime.clock.advance(client, body.days * 86400)
    return ClockOut(now=now, today=now.astimezone(AGENCY_TZ).date())
