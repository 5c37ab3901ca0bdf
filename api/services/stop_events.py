"""Stop events through the case's validated Update (workflows/claim/stops.py): checked here
for what needs no case state (the type, the survivor's account, the licence), then by the
workflow's validator; a refusal changes nothing."""

from __future__ import annotations

from datetime import date

from temporalio.client import Client

from api.services import ActionError
from api.services.cases import case_update
from db.models import CaseRecord, User
from domain.identifiers import InvalidIdentifier, validate_card_number, validate_uscc
from domain.stops import STOP_TYPES
from payloads.stops import EventData, StopEventInput, StopEventResult
from workflows.claim import ClaimWorkflow

EVENT_ROLES = frozenset({"clerk", "supervisor"})


def offers_stop_event(user: User, case: CaseRecord) -> bool:
    """Whether to offer `user` the stop-event form: a clerk or supervisor, a case receiving
    benefits (the workflow has the last word)."""
    return bool(user.role_set & EVENT_ROLES and case.status == "active")


def check_data(type_: str, data: EventData) -> None:
    """422 naming the field for what is wrong whatever the case's state."""
    if type_ not in STOP_TYPES:
        raise ActionError(
            422, f"no event type {type_!r}; one of {', '.join(STOP_TYPES)}", ["body", "type"]
        )
    if type_ == "died":
        if data.dependents is None:
            raise ActionError(422, "give the number of dependents", ["body", "data", "dependents"])
        if data.survivor_account is not None:
            try:
                validate_card_number(data.survivor_account.account_number)
            except InvalidIdentifier as err:
                loc = ["body", "data", "survivor_account", "account_number"]
                raise ActionError(422, str(err), loc) from None
    if type_ == "self_employed":
        try:
            validate_uscc(data.uscc or "")
        except InvalidIdentifier as err:
            raise ActionError(422, str(err), ["body", "data", "uscc"]) from None


async def report_event(
    client: Client, user: User, case_id: str, type_: str, effective: date, data: EventData
) -> StopEventResult:
    if not user.role_set & EVENT_ROLES:
        raise ActionError(403, "stop events are recorded by clerks")
    check_data(type_, data)
    return await case_update(
        client,
        case_id,
        ClaimWorkflow.report_event,
        StopEventInput(
            type=type_,
            effective_date=effective,
            data=data,
            actor=user.username,
            actor_roles=sorted(user.role_set),
        ),
    )
