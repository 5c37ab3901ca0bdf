"""The worklist API: list tasks, claim, unclaim, assign and complete them; saved filters."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection
from sqlmodel import Session

from api.access import region_filter
from api.deps import (
    MAX_DB_INT,
    NOT_FOUND,
    REFUSED,
    STAFF,
    RowId,
    RuntimeDep,
    SessionDep,
    StaffUser,
    SupervisorUser,
    TemporalClientDep,
)
from api.errors import field_error
from api.schemas import CompleteTaskIn, TaskOut
from api.services import ActionError
from api.services import tasks as actions
from api.threads import in_thread
from db import saved_filters
from db import task_reads as reads
from db.engine import read_with_retry, session_scope
from db.models import SavedFilter, Task
from db.tasks import TaskFilters, find_task

# the Core reads write TaskOut's fields in its order
assert tuple(TaskOut.model_fields) == reads.FIELDS, "db/task_reads.py FIELDS differ from TaskOut"

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=STAFF)


def _http(err: ActionError) -> HTTPException:
    if err.loc:
        return field_error(err.loc, err.message)
    return HTTPException(err.status, err.message)


class TaskQuery(BaseModel):
    """The worklist's filters, paging and order (query parameters)."""

    kind: str | None = None
    group: str | None = None
    status: str | None = Field(default=None, pattern="^(open|claimed|completed|active)$")
    assignee: str | None = None
    case_id: str | None = None
    escalated: bool | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    sort: Literal["due", "priority"] = "due"
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_DB_INT)


@router.get("", response_model=list[TaskOut])
async def list_tasks(
    user: StaffUser, runtime: RuntimeDep, q: Annotated[TaskQuery, Query()]
) -> Response:
    """Tasks by due date then priority (or `sort=priority`); total in `X-Total-Count`.
    `assignee=me` means the signed-in user; identity numbers are masked."""
    filters = TaskFilters(
        kind=q.kind,
        group=q.group,
        status=q.status,
        assignee=user.username if q.assignee == "me" else q.assignee,
        case_id=q.case_id,
        escalated=q.escalated,
        due_before=q.due_before,
        due_after=q.due_after,
        sort=q.sort,
        regions=region_filter(user),
    )
    limit, offset = q.limit, q.offset

    def read(conn: Connection) -> tuple[bytes, int]:
        rows, total = reads.list_task_dicts(conn, filters=filters, limit=limit, offset=offset)
        return reads.dumps(rows), total

    # rows straight from SQLAlchemy Core, encoded once; response_model documents them, and
    # tests/api check that the JSON is what TaskOut would write
    body, total = await in_thread(read_with_retry, runtime.reads, read)
    return Response(body, media_type="application/json", headers={"X-Total-Count": str(total)})


class SavedFilterIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    filters: dict[str, str | bool | int | None]


class SavedFilterOut(SavedFilterIn):
    id: int


@router.get("/filters", response_model=list[SavedFilterOut])
def my_saved_filters(session: SessionDep, user: StaffUser) -> list[SavedFilter]:
    """Your saved worklist filters (kept on the server, so they follow you to any desk)."""
    return saved_filters.of_user(session, username=user.username)


_FILTER_KEYS = set(TaskFilters.__dataclass_fields__)


@router.put("/filters", response_model=SavedFilterOut)
async def save_filter(
    body: SavedFilterIn, runtime: RuntimeDep, user: StaffUser, client: TemporalClientDep
) -> SavedFilter:
    """Save (or replace) a named filter of yours."""
    unknown = set(body.filters) - _FILTER_KEYS
    if unknown:
        raise field_error(["body", "filters"], f"unknown filter keys: {', '.join(sorted(unknown))}")
    at = await runtime.clock.now(client)

    def save() -> SavedFilter:
        with session_scope(runtime.engine) as session:
            row = saved_filters.save(
                session, username=user.username, name=body.name, filters=dict(body.filters), at=at
            )
            session.refresh(row)
            return row

    return await asyncio.to_thread(save)


@router.delete("/filters/{filter_id}", status_code=204, responses=NOT_FOUND)
def delete_filter(filter_id: RowId, runtime: RuntimeDep, user: StaffUser) -> None:
    """Delete one of your saved filters."""
    with session_scope(runtime.engine) as session:
        if not saved_filters.delete(session, username=user.username, filter_id=filter_id):
            raise HTTPException(404, f"no saved filter {filter_id}")


@router.get("/{task_id}", response_model=TaskOut, responses=NOT_FOUND)
async def get_task(task_id: str, user: StaffUser, runtime: RuntimeDep) -> Response:
    """One task."""

    def read(conn: Connection) -> bytes | None:
        row = reads.task_dict(conn, task_id=task_id)
        return None if row is None else reads.dumps(row)

    body = await in_thread(read_with_retry, runtime.reads, read)
    if body is None:
        raise HTTPException(404, f"no task {task_id}")
    if region_filter(user) is not None:  # a task of another region's case or run: 403

        def check() -> None:
            with Session(runtime.reads) as session:
                task = find_task(session, task_id=task_id)
                if task is not None:
                    actions.check_task_region(session, user, task)

        try:
            await in_thread(check)
        except ActionError as err:
            raise _http(err) from err
    return Response(body, media_type="application/json")


@router.post("/{task_id}/claim", response_model=TaskOut, responses=REFUSED)
async def claim_task(
    task_id: str, user: StaffUser, runtime: RuntimeDep, client: TemporalClientDep
) -> Task:
    """Take an open task into your own queue; someone else's claim is a 409."""
    try:
        return await actions.claim(runtime, client, user, task_id)
    except ActionError as err:
        raise _http(err) from err


@router.post("/{task_id}/unclaim", response_model=TaskOut, responses=REFUSED)
async def unclaim_task(
    task_id: str, user: StaffUser, runtime: RuntimeDep, client: TemporalClientDep
) -> Task:
    """Put a claimed task back into its group's queue (the holder, or a supervisor)."""
    try:
        return await actions.unclaim(runtime, client, user, task_id)
    except ActionError as err:
        raise _http(err) from err


class AssignIn(BaseModel):
    assignee: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)


@router.post("/{task_id}/assign", response_model=TaskOut, responses=REFUSED)
async def assign_task(
    task_id: str,
    body: AssignIn,
    user: SupervisorUser,
    runtime: RuntimeDep,
    client: TemporalClientDep,
) -> Task:
    """Supervisors: give a task to a named user, who is notified."""
    try:
        task, target, at = await actions.assign(
            runtime, client, user, task_id, body.assignee, body.reason
        )
    except ActionError as err:
        raise _http(err) from err
    await asyncio.to_thread(actions.notify_assignee, runtime, task, target, user, at)
    return task


@router.post("/{task_id}/complete", response_model=TaskOut, responses=REFUSED)
async def complete_task(
    task_id: str,
    body: CompleteTaskIn,
    user: StaffUser,
    runtime: RuntimeDep,
    client: TemporalClientDep,
) -> Task:
    """Complete a task with an outcome; the case's workflow validates and records it."""
    try:
        return await actions.complete(
            runtime, client, user, task_id, outcome=body.outcome, reason=body.reason, data=body.data
        )
    except ActionError as err:
        raise _http(err) from err
