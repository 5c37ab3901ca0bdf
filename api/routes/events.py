"""Stop events (issue 11; ARCHITECTURE.md `POST /api/v1/cases/{case_id}/events`): a clerk
records that the claimant found work, was called up, emigrated, drew a pension, went to
prison, refused an offer, set up in business or died, with the effective day and the
evidence. The case's workflow validates the rest (workflows/claim/stops.py)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import REFUSED, STAFF, IntakeUser, TemporalClientDep
from api.errors import http_error
from api.services import ActionError
from api.services import stop_events as actions
from payloads.stops import EventData
from payloads.submissions import BankAccount

router = APIRouter(prefix="/cases", tags=["events"], responses={**STAFF, **REFUSED})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AccountIn(_Strict):
    bank_code: str = Field(min_length=1, max_length=16)
    account_number: str = Field(min_length=1, max_length=34)
    account_name: str = Field(min_length=1, max_length=128)


class EventDataIn(_Strict):
    evidence: str = Field(min_length=1, max_length=200, description="document reference")
    dependents: int | None = Field(default=None, ge=0, description="died: dependents supported")
    public_service: bool = Field(default=False, description="died in public service")
    unlawful: bool = Field(default=False, description="died in the course of a crime")
    survivor_account: AccountIn | None = Field(default=None, description="died: grants paid to")
    uscc: str | None = Field(default=None, description="self_employed: the licence's code")


class StopEventIn(_Strict):
    type: str
    effective_date: date
    data: EventDataIn


class StopEventOut(BaseModel):
    case_id: str
    type: str
    effective_date: date
    status: str  # stopping | awaiting_confirmation


def event_data(body: EventDataIn) -> EventData:
    acct = body.survivor_account
    return EventData(
        evidence=body.evidence,
        dependents=body.dependents,
        public_service=body.public_service,
        unlawful=body.unlawful,
        survivor_account=BankAccount(**acct.model_dump()) if acct else None,
        uscc=body.uscc,
    )


@router.post("/{case_id}/events", status_code=201, response_model=StopEventOut)
async def report_event(
    case_id: str, body: StopEventIn, user: IntakeUser, client: TemporalClientDep
) -> StopEventOut:
    """Record a stop event on a case receiving benefits (clerks and supervisors)."""
    try:
        res = await actions.report_event(
            client, user, case_id, body.type, body.effective_date, event_data(body.data)
        )
    except ActionError as err:
        raise http_error(err) from err
    return StopEventOut(
        case_id=case_id, type=res.type, effective_date=res.effective_date, status=res.status
    )
