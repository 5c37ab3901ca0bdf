"""Worklist actions: list, claim, unclaim, assign, complete (through the workflow's Update)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from api.runtime import Runtime
from api.services import ActionError
from api.services.cases import update_error
from db import audit as audit_log
from db import tasks as task_rows
from db import users
from db.engine import session_scope
from db.models import CaseRecord, Task, User
from domain.access import (
    describe_regions,
    may_decide_review,
    payee_name_matches,
    regions_of,
    sees_region,
)
from domain.task_data import check_completion, parse_task_data
from domain.tasks import OutcomeError, may_complete
from payloads.errors import RETRY_LATER
from payloads.notify import NotifyInput
from payloads.tasks import CompleteTaskInput
from workflows.human_tasks import TaskOwner

RETRIES, RETRY_PAUSE = 100, 0.1  # a completion met a continue-as-new: sent again (~10 s)


def get_task(session: Session, task_id: str) -> Task:
    task = task_rows.find_task(session, task_id=task_id)
    if task is None:
        raise ActionError(404, f"no task {task_id}")
    return task


def _check_completer(
    runtime: Runtime, user: User, task: Task, outcome: str, data: dict[str, Any]
) -> None:
    with Session(runtime.engine) as session:
        check_task_region(session, user, task)
        check_separation_and_payee(session, user, task, outcome, data)


def _reload(runtime: Runtime, task_id: str) -> Task:
    with Session(runtime.engine) as session:
        return get_task(session, task_id)


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_id: str,
    at: datetime,
    entity_type: str = "task",
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    audit_log.write(
        session,
        key=f"{entity_type}:{entity_id}:{action}:{uuid.uuid4().hex}",
        at=at,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        reason=reason,
        data=data,
    )


def check_task_region(session: Session, user: User, task: Task) -> None:
    """A task of a case or of a payment run follows that region (domain/access.py): 403
    outside the user's regions."""
    if regions_of(user.regions) is None:
        return
    region = task_rows.task_region(session, task=task)
    if region is not None and not sees_region(user.regions, region):
        raise ActionError(
            403,
            f"task {task.task_id} is of region {region}; "
            f"{user.username} works {describe_regions(user.regions)}",
        )


def check_separation_and_payee(
    session: Session, user: User, task: Task, outcome: str, data: dict[str, Any]
) -> None:
    """Issue 13 §4 at the API: the filer of a case does not decide its review; a re-issue to
    a named account holder pays the claimant's own account (or a survivor's with the
    reference of the document that shows it)."""
    case_id = task.case_id or str(task.details.get("case_id") or "")
    if (
        task.kind == "review_claim"
        and case_id
        and not may_decide_review(task_rows.filers_of(session, case_id=case_id), user.username)
    ):
        raise ActionError(
            403,
            f"separation of duties: {user.username} filed case {case_id} (recorded its "
            "intake) and cannot decide its review; another reviewer must",
        )
    if task.kind == "payment_returned" and outcome == "reissue":
        account = data.get("bank_account") or {}
        name = account.get("account_name") if isinstance(account, dict) else None
        if not name:
            return  # the holder's name stays the one on the returned payment
        case = session.get(CaseRecord, case_id) if case_id else None
        claimant = case.claimant_name if case is not None else None
        if payee_name_matches(name, claimant) or account.get("survivor_document"):
            return
        raise ActionError(
            422,
            "must be the claimant's own name (benefits are paid to the claimant's account), "
            "or give survivor_document: the reference of the document naming the holder as "
            "the claimant's survivor",
            ["body", "data", "bank_account", "account_name"],
        )


def _may_work(user: User, task: Task) -> bool:
    return may_complete(user.role_set, task.group, task.escalated, task.original_group, task.kind)


async def claim(runtime: Runtime, client: Client, user: User, task_id: str) -> Task:
    """Take an open task into your own queue; a task someone else holds is a 409."""
    at = await runtime.clock.now(client)

    def run() -> Task:
        with session_scope(runtime.engine) as session:
            task = get_task(session, task_id)
            if not _may_work(user, task):
                raise ActionError(403, f"task {task_id} is for the {task.group} group")
            check_task_region(session, user, task)
            if not task_rows.claim_open(session, task_id=task_id, username=user.username):
                session.refresh(task)
                holder = f" by {task.assignee}" if task.assignee else ""
                raise ActionError(409, f"task {task_id} is {task.status}{holder}")
            audit(session, actor=user.username, action="task_claimed", entity_id=task_id, at=at)
        return _reload(runtime, task_id)

    return await asyncio.to_thread(run)


async def unclaim(runtime: Runtime, client: Client, user: User, task_id: str) -> Task:
    """Put a claimed task back into its group's queue (the holder, or a supervisor)."""
    at = await runtime.clock.now(client)

    def run() -> Task:
        with session_scope(runtime.engine) as session:
            task = get_task(session, task_id)
            check_task_region(session, user, task)
            if task.status != "claimed":
                raise ActionError(409, f"task {task_id} is {task.status}, not claimed")
            if task.assignee != user.username and "supervisor" not in user.role_set:
                raise ActionError(403, f"task {task_id} is held by {task.assignee}")
            task_rows.release_claimed(session, task_id=task_id)
            audit(session, actor=user.username, action="task_unclaimed", entity_id=task_id, at=at)
        return _reload(runtime, task_id)

    return await asyncio.to_thread(run)


async def assign(
    runtime: Runtime, client: Client, user: User, task_id: str, to: str, reason: str | None
) -> tuple[Task, User, datetime]:
    """A supervisor gives a task to a named user who may work it."""
    if "supervisor" not in user.role_set:
        raise ActionError(403, "only supervisors assign tasks")
    at = await runtime.clock.now(client)

    def run() -> tuple[Task, User, datetime]:
        with session_scope(runtime.engine) as session:
            task = get_task(session, task_id)
            if task.status == "completed":
                raise ActionError(409, f"task {task_id} is already completed")
            check_task_region(session, user, task)
            target = users.find_user(session, username=to)
            if target is None or not target.active:
                raise ActionError(422, f"no active user {to!r}", ["body", "assignee"])
            if not _may_work(target, task):
                raise ActionError(
                    422, f"{to} may not work a {task.kind} task", ["body", "assignee"]
                )
            previous = task.assignee
            task.assignee, task.status = to, "claimed"
            session.add(task)
            audit(
                session,
                actor=user.username,
                action="task_assigned",
                entity_id=task_id,
                at=at,
                reason=reason,
                data={"from": previous, "to": to},
            )
        return _reload(runtime, task_id), target, at

    return await asyncio.to_thread(run)


async def complete(
    runtime: Runtime,
    client: Client,
    user: User,
    task_id: str,
    *,
    outcome: str,
    reason: str | None,
    data: dict[str, Any],
) -> Task:
    """Complete a task; the case's workflow validates and records it (one winner only)."""
    task = await asyncio.to_thread(_reload, runtime, task_id)
    if task.status == "completed":
        raise ActionError(409, f"task {task_id} is already completed")
    if task.assignee and task.assignee != user.username:
        raise ActionError(409, f"task {task_id} is claimed by {task.assignee}")
    if task.escalated and not task.assignee and "supervisor" not in user.role_set:
        raise ActionError(403, f"task {task_id} is escalated: a supervisor decides or assigns it")
    try:  # the kind's typed data first (the workflow's validator checks again)
        check_completion(task.kind, outcome, reason, parse_task_data(task.kind, data))
    except OutcomeError as err:
        raise ActionError(422, str(err), ["body", *err.field.split(".")]) from err
    await asyncio.to_thread(_check_completer, runtime, user, task, outcome, data)
    handle = client.get_workflow_handle(task.workflow_id)
    try:
        await send_completion(
            handle,
            CompleteTaskInput(
                task_id=task_id,
                outcome=outcome,
                actor=user.username,
                actor_roles=sorted(user.role_set),
                reason=reason,
                data=data,
            ),
        )
    except WorkflowUpdateFailedError as err:
        raise update_error(err) from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise ActionError(
                409, f"task {task_id} can no longer be completed: its case has closed"
            ) from err
        raise
    return await asyncio.to_thread(_reload, runtime, task_id)


async def send_completion(handle: WorkflowHandle[Any, Any], inp: CompleteTaskInput) -> None:
    """The `complete_task` Update, sent again while its workflow is continuing as new: refused
    by the run about to continue (RETRY_LATER: workflows/payment_returns.py), or met the run
    just closed by it (NOT_FOUND, "Completed workflow", while a newer run is running: not
    delivered, so not applied); any other refusal is raised, NOT_FOUND too when no run is."""
    for _ in range(RETRIES):
        try:
            await handle.execute_update(TaskOwner.complete_task, inp)
            return
        except WorkflowUpdateFailedError as err:
            if getattr(err.cause, "type", None) != RETRY_LATER:
                raise
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND or not await _latest_running(handle):
                raise
        await asyncio.sleep(RETRY_PAUSE)
    await handle.execute_update(TaskOwner.complete_task, inp)


async def _latest_running(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether the workflow's latest run is running (the one an Update met may have ended by
    continuing as new): `handle` is of the workflow ID, no run (as the API makes it)."""
    try:
        desc = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return desc.status == WorkflowExecutionStatus.RUNNING


def notify_assignee(runtime: Runtime, task: Task, target: User, by: User, at: datetime) -> None:
    """Tell the user a supervisor assigned a task to (outbox, sent once per assignment)."""
    runtime.notifier.send_once(
        NotifyInput(
            key=f"task:{task.task_id}:assigned:{target.username}:{at.isoformat()}",
            template="task_assigned",
            at=at,
            case_id=task.case_id,
            email=target.email,
            params={
                "assignee": target.full_name,
                "by": by.full_name,
                "task_id": task.task_id,
                "title": task.title,
                "due_at": task.due_at.isoformat() if task.due_at else "-",
            },
        )
    )
