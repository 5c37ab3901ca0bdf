"""Reading and changing the worklist (the `tasks` table) for the API, the pages and the
worklist activities: the filters of a worklist query, one task, its region, the compare-and-set
claims, and the saved filters of a user. Keyword-only; the caller owns the session (and so the
transaction). The hot REST reads on SQLAlchemy Core are db/task_reads.py, on the same filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    update,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from db.models import CaseEvent, CaseRecord, PaymentRun, Task
from workflows import ids

ACTIVE = ("open", "claimed")

PAYMENT_RUN_PREFIX = ids.payment_run("")  # a payment run's workflow ID is this + run ID
RETURNS_PREFIX = ids.payment_returns("")  # its returns' workflow (their tasks): this + run ID
RUN_PREFIXES = (PAYMENT_RUN_PREFIX, RETURNS_PREFIX)


@dataclass
class TaskFilters:
    kind: str | None = None
    group: str | None = None
    status: str | None = None  # open | claimed | completed | active (open or claimed)
    assignee: str | None = None
    case_id: str | None = None
    escalated: bool | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    sort: str = "due"  # due | priority
    # the regions of the user's cases and payment runs (domain/access.py); None: every
    # region. Tasks of neither (reconciliations, system errors) are not region-bound.
    regions: tuple[str, ...] | None = None


@dataclass
class TaskRow:
    task: Task
    claimant_name: str | None
    national_id_masked: str | None


FILTER_COLUMNS = ("kind", "group", "assignee", "case_id", "escalated")

# the active statuses as literals in the SQL text: SQLite uses a partial index only then
ACTIVE_SQL = col(Task.status).in_([literal_column(f"'{s}'") for s in ACTIVE])


def filter_shape(f: TaskFilters) -> tuple[Any, ...]:
    """Which filters are set (not their values): one SQL statement per shape."""
    status = f.status if f.status in (None, "active") else "one"
    return (
        tuple(name for name in FILTER_COLUMNS if getattr(f, name) is not None),
        status,
        f.due_before is not None,
        f.due_after is not None,
        f.sort,
        f.regions is not None,
    )


def task_params(f: TaskFilters) -> dict[str, Any]:
    """The values of the set filters, for the bind parameters of `task_conditions`."""
    params = {name: getattr(f, name) for name in FILTER_COLUMNS if getattr(f, name) is not None}
    if f.status not in (None, "active"):
        params["status"] = f.status
    if f.due_before is not None:
        params["due_before"] = f.due_before
    if f.due_after is not None:
        params["due_after"] = f.due_after
    if f.regions is not None:
        params["regions"] = list(f.regions)
    return params


def task_conditions(f: TaskFilters) -> list[ColumnElement[bool]]:
    """The WHERE clause of a worklist query on the tasks table alone, with a bind parameter
    per set filter (values from `task_params`)."""
    conds: list[ColumnElement[bool]] = []
    for name in FILTER_COLUMNS:
        if getattr(f, name) is not None:
            conds.append(Task.__table__.c[name] == bindparam(name))  # type: ignore[attr-defined]
    if f.status == "active":
        conds.append(ACTIVE_SQL)
    elif f.status:
        conds.append(col(Task.status) == bindparam("status"))
    if f.due_before:
        conds.append(col(Task.due_at) < bindparam("due_before"))
    if f.due_after:
        conds.append(col(Task.due_at) >= bindparam("due_after"))
    if f.regions is not None:
        regions: BindParameter[Any] = bindparam("regions", expanding=True)
        cases = sa_select(col(CaseRecord.case_id)).where(col(CaseRecord.region_code).in_(regions))
        runs = [
            sa_select(literal(prefix) + col(PaymentRun.run_id)).where(
                col(PaymentRun.region_code).in_(regions)
            )
            for prefix in RUN_PREFIXES
        ]
        of_no_run = and_(*(col(Task.workflow_id).not_like(p + "%") for p in RUN_PREFIXES))
        conds.append(
            or_(
                col(Task.case_id).in_(cases),
                and_(
                    col(Task.case_id).is_(None),
                    or_(of_no_run, *(col(Task.workflow_id).in_(r) for r in runs)),
                ),
            )
        )
    return conds


def task_order(f: TaskFilters) -> tuple[Any, ...]:
    """Due date then priority (or the other way round), then the ID: a stable page order that
    the partial indexes ix_tasks_active_*_due follow."""
    due = (col(Task.due_at).asc().nulls_last(),)
    prio = (col(Task.priority).desc(),)
    return (
        (*prio, *due, col(Task.task_id))
        if f.sort == "priority"
        else (*due, *prio, col(Task.task_id))
    )


def count_tasks(f: TaskFilters) -> Select[int]:
    """The number of tasks matching: on the tasks table alone (no join with the cases)."""
    return sa_select(func.count()).select_from(Task).where(*task_conditions(f))


def list_tasks(
    session: Session, *, filters: TaskFilters, limit: int, offset: int
) -> tuple[list[TaskRow], int]:
    """The worklist, read from the worklist table (consistent the moment a task changes)."""
    params = task_params(filters)
    total = session.execute(count_tasks(filters), params).scalar_one()
    if limit == 0:
        return [], total
    stmt = (
        select(Task, CaseRecord.claimant_name, CaseRecord.national_id_masked)
        .join(CaseRecord, col(CaseRecord.case_id) == col(Task.case_id), isouter=True)
        .where(*task_conditions(filters))
        .order_by(*task_order(filters))
        .offset(offset)
        .limit(limit)
    )
    rows = session.execute(stmt, params)
    return [TaskRow(t, name, masked) for t, name, masked in rows.all()], total


def find_task(session: Session, *, task_id: str) -> Task | None:
    return session.get(Task, task_id)


def lock_task(session: Session, *, task_id: str) -> Task | None:
    """The task's row, locked until the transaction ends (FOR UPDATE on PostgreSQL)."""
    return session.get(Task, task_id, with_for_update=True)


def tasks_by_ids(session: Session, *, task_ids: list[str]) -> dict[str, Task]:
    """The tasks of these IDs that exist, by ID (no query for none)."""
    if not task_ids:
        return {}
    return {t.task_id: t for t in session.exec(select(Task).where(col(Task.task_id).in_(task_ids)))}


def tasks_of_case(session: Session, *, case_id: str) -> list[Task]:
    """A case's tasks, oldest first."""
    stmt = select(Task).where(Task.case_id == case_id).order_by(col(Task.created_at))
    return list(session.exec(stmt).all())


def tasks_of_workflows(session: Session, *, workflow_ids: list[str]) -> list[Task]:
    """The tasks these workflows (a payment run and its returns' workflow) opened, oldest first."""
    stmt = (
        select(Task).where(col(Task.workflow_id).in_(workflow_ids)).order_by(col(Task.created_at))
    )
    return list(session.exec(stmt).all())


def task_region(session: Session, *, task: Task) -> str | None:
    """The region a task belongs to: its case's, or its payment run's; None for neither."""
    if task.case_id:
        case = session.get(CaseRecord, task.case_id)
        return case.region_code if case is not None else None
    for prefix in RUN_PREFIXES:
        if task.workflow_id.startswith(prefix):
            run = session.get(PaymentRun, task.workflow_id.removeprefix(prefix))
            return run.region_code if run is not None else None
    return None


# the case events that record who filed (the intake of) a case
FILING_EVENTS = (
    "employer_report_received",
    "employer_report_resubmitted",
    "registration_received",
    "registration_resubmitted",
)


def filers_of(session: Session, *, case_id: str) -> set[str]:
    """The users who recorded the case's intake (its employer report or registration)."""
    rows = session.exec(
        select(CaseEvent.actor).where(
            CaseEvent.case_id == case_id, col(CaseEvent.type).in_(FILING_EVENTS)
        )
    ).all()
    return {a for a in rows if a}


def claim_open(session: Session, *, task_id: str, username: str) -> bool:
    """Compare-and-set: the open, unheld task becomes `username`'s; False if it was not."""
    result = session.execute(
        update(Task)
        .where(
            col(Task.task_id) == task_id,
            col(Task.status) == "open",
            col(Task.assignee).is_(None),
        )
        .values(assignee=username, status="claimed")
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release_claimed(session: Session, *, task_id: str) -> None:
    """A claimed task goes back to its group's queue (no-op unless claimed)."""
    session.execute(
        update(Task)
        .where(col(Task.task_id) == task_id, col(Task.status) == "claimed")
        .values(assignee=None, status="open")
    )
