"""Case actions through validated Updates: extend a running deadline, check in, record the
medical cash option."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import TypeVar, cast

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.workflow import UpdateMethodMultiParam

from api.runtime import Runtime
from api.services import ActionError
from api.temporal_calls import UPDATE_PATIENCE_SECONDS, WorkflowClosed, send_update
from db.models import CaseRecord, User
from payloads.case_io import (
    CHECK_IN_CHANNELS,
    CashOptionRequest,
    CashOptionResult,
    CheckInChannel,
    CheckInInput,
    CheckInResult,
    ExtendDeadlineInput,
    TransferRequest,
    TransferResult,
)
from payloads.case_state import CLOSED_STATUSES, DeadlineInfo, DeadlineKind
from payloads.errors import FORBIDDEN, INVALID_OUTCOME, TASK_CLOSED, TASK_NOT_FOUND
from workflows import ids
from workflows.claim import ClaimWorkflow
from workflows.claim.case_updates import CaseUpdates

P = TypeVar("P")
R = TypeVar("R")

DEADLINE_KINDS: tuple[DeadlineKind, ...] = ("employer_report", "registration", "review")
CHECK_IN_ROLES = frozenset({"clerk", "supervisor"})
_STATUS_OF = {TASK_CLOSED: 409, FORBIDDEN: 403, TASK_NOT_FOUND: 404}


def update_error(err: WorkflowUpdateFailedError) -> ActionError:
    """Map a refused Update to the HTTP answer (403 / 409 / 422 naming the field)."""
    cause = err.cause
    if isinstance(cause, ApplicationError):
        if cause.type == INVALID_OUTCOME:
            field = str(cause.details[0]) if cause.details else "body"
            return ActionError(422, cause.message, ["body", *field.split(".")])
        return ActionError(_STATUS_OF.get(cause.type or "", 409), cause.message)
    return ActionError(409, f"refused: {cause}")


async def case_update(
    client: Client,
    case_id: str,
    update: UpdateMethodMultiParam[[CaseUpdates, P], R],
    arg: P,
    *,
    update_id: str | None = None,
    patience: float = UPDATE_PATIENCE_SECONDS,
    resend_to_new_run: bool = False,
) -> R:
    """Send one of the case's Updates (it answers once the read model shows it) under one
    update ID, retried while Temporal is busy or the case continues as new
    (api/temporal_calls.py): a refusal becomes an ActionError, a closed or unknown case a 409,
    no answer in time a TemporalUnavailable (503)."""
    try:
        result: R = await send_update(
            client,
            ids.case(case_id),
            update,
            arg,
            update_id=update_id or f"api-{uuid.uuid4()}",
            patience=patience,
            resend_to_new_run=resend_to_new_run,
        )
    except WorkflowUpdateFailedError as err:
        raise update_error(err) from err
    except WorkflowClosed as err:
        raise ActionError(409, f"case {case_id} is closed or unknown") from err
    return result


async def extend_deadline(
    runtime: Runtime, client: Client, user: User, case_id: str, kind: str, days: int, reason: str
) -> DeadlineInfo:
    """Move a running deadline of a case by `days`, with the supervisor's reason."""
    if kind not in DEADLINE_KINDS:
        raise ActionError(404, f"no deadline kind {kind!r}")
    deadline = cast(DeadlineKind, kind)
    return await case_update(
        client,
        case_id,
        ClaimWorkflow.extend_deadline,
        ExtendDeadlineInput(
            kind=deadline,
            days=days,
            reason=reason,
            actor=user.username,
            actor_roles=sorted(user.role_set),
        ),
    )


def offers_check_in(user: User, case: CaseRecord) -> bool:
    """Whether to offer `user` the check-in form on this case: a clerk or supervisor, a
    registered claimant, a case not closed (the workflow has the last word)."""
    return bool(
        user.role_set & CHECK_IN_ROLES
        and case.registration_date is not None
        and case.status not in CLOSED_STATUSES
    )


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


async def check_in(
    client: Client,
    user: User,
    case_id: str,
    on: date | None,
    channel: str,
    *,
    request_key: str | None = None,
    patience: float = UPDATE_PATIENCE_SECONDS,
) -> CheckInResult:
    """Record the claimant's monthly check-in on the case (by a clerk or a supervisor;
    validated by the workflow). The same `request_key` again (a client's retry after a 503 or
    a lost answer) is the same check-in: applied once, answered with its result, in whichever
    run of the case it was applied (the case remembers it across continue-as-new)."""
    if not user.role_set & CHECK_IN_ROLES:
        raise ActionError(403, "check-ins are recorded by clerks")
    if channel not in CHECK_IN_CHANNELS:
        raise ActionError(422, f"no check-in channel {channel!r}", ["body", "channel"])
    request_id = f"check-in-{request_key or uuid.uuid4()}"
    return await case_update(
        client,
        case_id,
        ClaimWorkflow.check_in,
        CheckInInput(
            on=on,
            actor=user.username,
            channel=cast(CheckInChannel, channel),
            request_id=request_id,
        ),
        # the same request ID with another body is another Update (refused by the case), not
        # the first one's answer
        update_id=f"{request_id}-{_digest(user.username, channel, on)}",
        patience=patience,
        resend_to_new_run=True,
    )


async def record_cash_option(
    client: Client,
    user: User,
    case_id: str,
    requested_on: date,
    insured_elsewhere: str,
    written_request: bool,
) -> CashOptionResult:
    """Record the claimant's written request for the ≤ 3-month cash option (a clerk or a
    supervisor; the case's medical stage checks it)."""
    if not user.role_set & CHECK_IN_ROLES:
        raise ActionError(403, "the cash option is recorded by clerks")
    return await case_update(
        client,
        case_id,
        ClaimWorkflow.record_cash_option,
        CashOptionRequest(
            requested_on=requested_on,
            insured_elsewhere=insured_elsewhere,
            actor=user.username,
            written_request=written_request,
        ),
    )


async def transfer(
    runtime: Runtime, client: Client, user: User, case_id: str, to_region_code: str
) -> TransferResult:
    """Move an active case to another region (a clerk or a supervisor; the case checks the
    rest: active, no transfer running, another region)."""
    if not user.role_set & CHECK_IN_ROLES:
        raise ActionError(403, "transfers are made by clerks")
    if to_region_code not in runtime.book.regions:
        raise ActionError(422, f"no region {to_region_code!r} is known", ["body", "to_region_code"])
    return await case_update(
        client,
        case_id,
        ClaimWorkflow.request_transfer,
        TransferRequest(to_region_code=to_region_code, actor=user.username),
    )
