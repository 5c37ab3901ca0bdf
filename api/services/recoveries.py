"""Recovery actions shared by the REST routes and the staff pages (issue 11 §4): each runs
in one transaction off the event loop; a refusal is an ActionError naming the field. An
offset request opens the supervisors' task (workflows/recovery_offset.py) that decides it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.runtime import Runtime
from api.services import ActionError
from api.threads import in_thread
from db.cases import find_case
from db.engine import session_scope
from db.models import User
from db.recoveries import Balance, RecoveryError, balance_of, get_recovery, request_offset
from db.recovery import RecoveryOffset
from payloads.recovery import OffsetReviewInput
from workflows import ids
from workflows.recovery_offset import RecoveryOffsetWorkflow

T = TypeVar("T")


def _run(engine: Engine, fn: Callable[[Session], T]) -> T:
    try:
        with session_scope(engine) as session:
            return fn(session)
    except RecoveryError as err:
        loc = ["body", err.field] if err.field else None
        raise ActionError(err.status, err.message, loc) from None


async def run(engine: Engine, fn: Callable[[Session], T]) -> T:
    """`fn(session)` in one transaction on a worker thread; RecoveryError → ActionError."""
    return await in_thread(_run, engine, fn)


def balance_out(b: Balance) -> dict[str, Any]:
    """A recovery with its balance, as the API and the pages show it."""
    r = b.recovery
    return {
        "recovery_id": r.id,
        "case_id": r.case_id,
        "cause": r.cause,
        "amount": f"{r.amount:.2f}",
        "repaid": f"{b.repaid:.2f}",
        "offset": f"{b.offset:.2f}",
        "balance": f"{b.owed:.2f}",
        "status": r.status,
        "referred_to_labour_department": r.referred,
        "evidence": r.evidence,
        "created_by": r.created_by,
        "created_at": r.created_at.isoformat() if r.created_at else None,
    }


def offset_out(o: RecoveryOffset) -> dict[str, Any]:
    """An offset request as the API shows it, with the supervisors' task that decides it."""
    return {
        "offset_id": o.id,
        "recovery_id": o.recovery_id,
        "case_id": o.case_id,
        "status": o.status,
        "requested_by": o.requested_by,
        "decided_by": o.decided_by,
        "reason": o.reason,
        "task_id": ids.offset_task(o.id or 0),
    }


async def ask_offset(
    runtime: Runtime, client: Client, user: User, recovery_id: int, case_id: str
) -> dict[str, Any]:
    """Record the request (audited) and open its `recovery_offset_review` task for the
    supervisors; answers once the task is in the worklist. Asked again: the same request
    (and, still undecided, its task is opened if a first attempt stopped short of it)."""
    at = await runtime.clock.now(client)

    def record(session: Session) -> tuple[dict[str, Any], OffsetReviewInput | None]:
        row = request_offset(
            session, recovery_id=recovery_id, case_id=case_id, requested_by=user.username, at=at
        )
        if row.status != "requested":
            return offset_out(row), None
        rec = get_recovery(session, recovery_id)
        later = find_case(session, case_id=row.case_id)
        review = OffsetReviewInput(
            offset_id=row.id or 0,
            recovery_id=recovery_id,
            case_id=row.case_id,
            overpaid_case_id=rec.case_id,
            requested_by=row.requested_by,
            balance=f"{balance_of(session, rec).owed:.2f}",
            region_code=later.region_code if later is not None else "",
        )
        return offset_out(row), review

    out, review = await run(runtime.engine, record)
    if review is not None:
        await _open_review(runtime, client, review)
    return out


async def _open_review(runtime: Runtime, client: Client, review: OffsetReviewInput) -> None:
    workflow_id = ids.recovery_offset(review.offset_id)
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            RecoveryOffsetWorkflow.run,
            review,
            id=workflow_id,
            task_queue=runtime.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    # decided meanwhile (its workflow closed): the task row exists already
    with contextlib.suppress(WorkflowUpdateFailedError, RPCError):
        await client.get_workflow_handle(workflow_id).execute_update(
            RecoveryOffsetWorkflow.task_opened
        )
