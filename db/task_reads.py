"""The worklist reads of the REST API on SQLAlchemy Core: rows as plain dicts in the field order
of the API's `TaskOut` (FIELDS; api/routes/tasks.py checks they agree), encoded once with
orjson. The same filters, order and masking as db/tasks.py `list_tasks` (the staff pages' ORM
version); tests/api check that both give the same JSON as TaskOut. Keyword-only."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Select, bindparam, func, select

from db.models import CaseRecord, Task
from db.tasks import (
    ACTIVE_SQL,
    TaskFilters,
    filter_shape,
    task_conditions,
    task_order,
    task_params,
)

_TASKS = Task.__table__  # type: ignore[attr-defined]
_CASES = CaseRecord.__table__  # type: ignore[attr-defined]

# TaskOut's fields in its order: the task's own columns, then two from the case (masked ID)
FIELDS = (
    "task_id",
    "kind",
    "case_id",
    "group",
    "assignee",
    "status",
    "priority",
    "title",
    "due_at",
    "escalated",
    "created_at",
    "completed_at",
    "completed_by",
    "outcome",
    "reason",
    "original_group",
    "provisional",
    "claimant_name",
    "national_id_masked",
)
_CASE_FIELDS = ("claimant_name", "national_id_masked")
_TASK_COLUMNS = [_TASKS.c[name] for name in FIELDS if name not in _CASE_FIELDS]
assert [c.name for c in _TASK_COLUMNS] + list(_CASE_FIELDS) == list(FIELDS)

_ONE = select(*_TASK_COLUMNS).where(_TASKS.c.task_id == bindparam("task_id"))
_LIST = select(*_TASK_COLUMNS, *(_CASES.c[name] for name in _CASE_FIELDS)).outerjoin(
    _CASES, _CASES.c.case_id == _TASKS.c.case_id
)
_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)  # stands for "a time is given" in a shape


def dumps(value: Any) -> bytes:
    """JSON as FastAPI's TaskOut serialisation writes it (UTC times end in Z)."""
    return orjson.dumps(value, option=orjson.OPT_UTC_Z)


@lru_cache(maxsize=256)
def _statements(shape: tuple[Any, ...]) -> tuple[Select[Any], Select[Any]]:
    """The count and the page statement of one filter shape, built once: SQLAlchemy then
    finds their compiled form by a key it memoises on the statement objects themselves."""
    columns, status, before, after, sort, regional = shape
    given: dict[str, Any] = dict.fromkeys(columns, "set")  # only "is it set" matters here
    f = TaskFilters(
        **given,
        status="open" if status == "one" else status,
        due_before=_ANY_TIME if before else None,
        due_after=_ANY_TIME if after else None,
        sort=sort,
        regions=("set",) if regional else None,
    )
    count = select(func.count()).select_from(_TASKS).where(*task_conditions(f))
    page = _LIST.where(*task_conditions(f)).order_by(*task_order(f))
    return count, page.offset(bindparam("offset")).limit(bindparam("limit"))


def list_task_dicts(
    conn: Connection, *, filters: TaskFilters, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the worklist as TaskOut-shaped dicts, and the total number matching."""
    count, page = _statements(filter_shape(filters))
    params = task_params(filters)
    rows = conn.execute(page, {**params, "limit": limit, "offset": offset}).all()
    if 0 < len(rows) < limit or (offset == 0 and not rows):
        total = offset + len(rows)  # the last page: no need to count (most "my tasks" lists)
    else:
        total = conn.execute(count, params).scalar_one()
    return [dict(zip(FIELDS, row, strict=True)) for row in rows], total


def task_dict(conn: Connection, *, task_id: str) -> dict[str, Any] | None:
    """One task as a TaskOut-shaped dict (without the case's name and masked ID, as before)."""
    row = conn.execute(_ONE, {"task_id": task_id}).first()
    if row is None:
        return None
    return dict(zip(FIELDS, (*row, None, None), strict=True))


_MINE = _TASKS.c.assignee == bindparam("username")
_GROUPS = _TASKS.c.group.in_(bindparam("groups", expanding=True))
_NAV = select(
    select(func.count()).select_from(_TASKS).where(_MINE, ACTIVE_SQL).scalar_subquery(),
    select(func.count()).select_from(_TASKS).where(_GROUPS, ACTIVE_SQL).scalar_subquery(),
)


def nav_counts(conn: Connection, *, username: str, groups: frozenset[str]) -> dict[str, int]:
    """Active tasks held by the user, and active tasks of the user's groups: one statement,
    two counts over the partial indexes ix_tasks_active_assignee_due / _group_due."""
    mine, group = conn.execute(_NAV, {"username": username, "groups": sorted(groups)}).one()
    return {"mine": mine, "group": group}


def read(engine: Engine) -> Connection:
    """A connection for reads only: autocommit, so no BEGIN/ROLLBACK round trips."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
