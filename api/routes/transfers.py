"""Transfers of a case to another pooling region (DOMAIN.md stage 9; ARCHITECTURE.md
`POST /api/v1/cases/{case_id}/transfers`): asked by a clerk, carried out by the case."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import REFUSED, STAFF, IntakeUser, RuntimeDep, TemporalClientDep
from api.errors import http_error
from api.schemas import TransferIn, TransferOut
from api.services import ActionError
from api.services import cases as actions

router = APIRouter(prefix="/cases", tags=["transfers"], responses={**STAFF, **REFUSED})


@router.post("/{case_id}/transfers", status_code=201, response_model=TransferOut)
async def transfer(
    case_id: str,
    body: TransferIn,
    user: IntakeUser,
    runtime: RuntimeDep,
    client: TemporalClientDep,
) -> TransferOut:
    """Move an active case to `to_region_code`: within the province at once; across
    provinces the source moves the funds once, closes `transferred_out` and the destination
    opens a case with a `transfer_in` task. 422 names the field (same or unknown region);
    409 when the case is not active or a transfer of it is running."""
    try:
        res = await actions.transfer(runtime, client, user, case_id, body.to_region_code)
    except ActionError as err:
        raise http_error(err) from err
    return TransferOut(
        case_id=case_id,
        kind=res.kind,
        from_region_code=res.from_region_code,
        to_region_code=res.to_region_code,
        months_left=res.months_left,
        destination_case_id=res.destination_case_id,
    )
