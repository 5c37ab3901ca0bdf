"""The worklist: list tasks, claim and unclaim them, complete them through the workflow.

Completion is a Temporal Update on the workflow that opened the task; its validator decides
(closed → 409, wrong role → 403, unfit outcome → 422) before anything changes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import func, update
from sqlmodel import Session, col, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import CurrentUser, RuntimeDep, SessionDep, TemporalClientDep
from api.errors import field_error
from api.schemas import CompleteTaskIn, TaskOut
from db.engine import session_scope
from db.models import AuditEntry, Task, User
from domain.tasks import may_complete
from workflows.case_models import CompleteTaskInput
from workflows.claim import ClaimWorkflow
from workflows.human_task import FORBIDDEN, INVALID_OUTCOME, TASK_CLOSED

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("", response_model=list[TaskOut])
def list_tasks(
    session: SessionDep,
    user: CurrentUser,
    response: Response,
    kind: str | None = None,
    group: str | None = None,
    status: str | None = None,
    assignee: str | None = None,
    case_id: str | None = None,
    escalated: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Task]:
    """Tasks by due date (soonest first) then priority; total in `X-Total-Count`."""
    stmt = select(Task)
    for column, value in (
        (Task.kind, kind),
        (Task.group, group),
        (Task.status, status),
        (Task.assignee, assignee),
        (Task.case_id, case_id),
        (Task.escalated, escalated),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    response.headers["X-Total-Count"] = str(total)
    stmt = stmt.order_by(col(Task.due_at).is_(None), col(Task.due_at), col(Task.priority).desc())
    return list(session.exec(stmt.offset(offset).limit(limit)).all())


def _get_task(session: Session, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise HTTPException(404, f"no task {task_id}")
    return task


@router.get("/{task_id}", response_model=TaskOut)
def get_task(task_id: str, session: SessionDep, user: CurrentUser) -> Task:
    """One task."""
    return _get_task(session, task_id)


def _audit(session: Session, user: User, task_id: str, action: str, at: datetime) -> None:
    session.add(
        AuditEntry(
            key=f"task:{task_id}:{action}:{uuid.uuid4().hex}",
            at=at,
            actor=user.username,
            action=action,
            entity_type="task",
            entity_id=task_id,
        )
    )


@router.post("/{task_id}/claim", response_model=TaskOut)
async def claim_task(
    task_id: str, user: CurrentUser, runtime: RuntimeDep, client: TemporalClientDep
) -> Task:
    """Take an open task into your own queue; someone else's claim is a 409."""
    at = await runtime.clock.now(client)

    def claim() -> Task:
        with session_scope(runtime.engine) as session:
            task = _get_task(session, task_id)
            if not may_complete(user.role_set, task.group, task.escalated):
                raise HTTPException(403, f"task {task_id} is for the {task.group} group")
            result = session.execute(
                update(Task)
                .where(
                    col(Task.task_id) == task_id,
                    col(Task.status) == "open",
                    col(Task.assignee).is_(None),
                )
                .values(assignee=user.username, status="claimed")
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                session.refresh(task)
                holder = f" by {task.assignee}" if task.assignee else ""
                raise HTTPException(409, f"task {task_id} is {task.status}{holder}")
            _audit(session, user, task_id, "task_claimed", at)
        return _reload(runtime, task_id)

    return await asyncio.to_thread(claim)


@router.post("/{task_id}/unclaim", response_model=TaskOut)
async def unclaim_task(
    task_id: str, user: CurrentUser, runtime: RuntimeDep, client: TemporalClientDep
) -> Task:
    """Put a claimed task back into its group's queue (the holder, or a supervisor)."""
    at = await runtime.clock.now(client)

    def unclaim() -> Task:
        with session_scope(runtime.engine) as session:
            task = _get_task(session, task_id)
            if task.status != "claimed":
                raise HTTPException(409, f"task {task_id} is {task.status}, not claimed")
            if task.assignee != user.username and "supervisor" not in user.role_set:
                raise HTTPException(403, f"task {task_id} is held by {task.assignee}")
            session.execute(
                update(Task)
                .where(col(Task.task_id) == task_id, col(Task.status) == "claimed")
                .values(assignee=None, status="open")
            )
            _audit(session, user, task_id, "task_unclaimed", at)
        return _reload(runtime, task_id)

    return await asyncio.to_thread(unclaim)


def _reload(runtime: RuntimeDep, task_id: str) -> Task:
    with Session(runtime.engine) as session:
        return _get_task(session, task_id)


_STATUS_OF = {TASK_CLOSED: 409, FORBIDDEN: 403}


@router.post("/{task_id}/complete", response_model=TaskOut)
async def complete_task(
    task_id: str,
    body: CompleteTaskIn,
    user: CurrentUser,
    runtime: RuntimeDep,
    client: TemporalClientDep,
) -> Task:
    """Complete a task with an outcome; the case's workflow validates and records it."""
    task = await asyncio.to_thread(_reload, runtime, task_id)
    if task.status == "completed":
        raise HTTPException(409, f"task {task_id} is already completed")
    if task.assignee and task.assignee != user.username:
        raise HTTPException(409, f"task {task_id} is claimed by {task.assignee}")
    handle = client.get_workflow_handle(task.workflow_id)
    try:
        await handle.execute_update(
            ClaimWorkflow.complete_task,
            CompleteTaskInput(
                task_id=task_id,
                outcome=body.outcome,
                actor=user.username,
                actor_roles=sorted(user.role_set),
                reason=body.reason,
                data=body.data,
            ),
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            if cause.type == INVALID_OUTCOME:
                field = str(cause.details[0]) if cause.details else "outcome"
                raise field_error(["body", *field.split(".")], cause.message) from err
            raise HTTPException(_STATUS_OF.get(cause.type or "", 409), cause.message) from err
        raise HTTPException(409, f"the task could not be completed: {cause}") from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise HTTPException(
                409, f"task {task_id} can no longer be completed: its case has closed"
            ) from err
        raise
    return await asyncio.to_thread(_reload, runtime, task_id)
