"""The worklist pages: "my tasks" and "my group's tasks", with filters, paging and sorting."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.access import region_filter
from api.deps import RuntimeDep, SessionDep
from api.pages.web import PageUser, StaffPageUser, redirect, render
from db import saved_filters as filter_rows
from db.models import SavedFilter, User
from db.tasks import TaskFilters, list_tasks
from domain.access import works_cases
from domain.calendar import AGENCY_TZ
from domain.tasks import TASK_KINDS

router = APIRouter()
PAGE_SIZE = 25
FILTER_FIELDS = ("kind", "status", "escalated", "due_after", "due_before", "case_id", "sort")
STATUSES = ("active", "open", "claimed", "completed")


@dataclass
class Query:
    """The worklist's query string as typed, and the TaskFilters it means."""

    values: dict[str, str]
    filters: TaskFilters
    errors: dict[str, str] = field(default_factory=dict)
    page: int = 1


def _day(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=AGENCY_TZ)


def parse_query(params: dict[str, str], default_status: str = "active") -> Query:
    values = {k: (params.get(k) or "").strip() for k in FILTER_FIELDS}
    values["status"] = values["status"] or default_status
    values["sort"] = values["sort"] if values["sort"] in ("due", "priority") else "due"
    q = Query(values=values, filters=TaskFilters(sort=values["sort"]))
    f = q.filters
    f.kind = values["kind"] if values["kind"] in TASK_KINDS else None
    f.status = values["status"] if values["status"] in STATUSES else None
    f.escalated = {"yes": True, "no": False}.get(values["escalated"])
    f.case_id = values["case_id"] or None
    for name in ("due_after", "due_before"):
        try:
            day = _day(values[name])
        except ValueError:
            q.errors[name] = "error.date"
            continue
        if day and name == "due_after":
            f.due_after = _start_of(day)
        elif day:
            f.due_before = _start_of(day + timedelta(days=1))  # "due by" that day, inclusive
    try:
        q.page = max(1, int(params.get("page") or 1))
    except ValueError:
        q.page = 1
    return q


def saved_filter_link(row: SavedFilter) -> str:
    """The page a saved filter opens (saved here or through the API)."""
    f: dict[str, Any] = dict(row.filters)
    params = {k: v for k, v in f.items() if k in FILTER_FIELDS and v not in (None, "")}
    if isinstance(f.get("escalated"), bool):
        params["escalated"] = "yes" if f["escalated"] else "no"
    for name in ("due_after", "due_before"):
        if name in params:
            params[name] = str(params[name])[:10]
    scope = "group" if f.get("group") else "my"
    if f.get("group"):
        params["group"] = f["group"]
    return f"/staff/{scope}?{urlencode(params)}"


async def _list_page(
    request: Request,
    session: Session,
    runtime: RuntimeDep,
    user: User,
    scope: str,
) -> HTMLResponse:
    params = dict(request.query_params)
    q = parse_query(params)
    groups = sorted(user.role_set)
    asked = params.get("group", "")
    group = asked if asked in groups else (groups[0] if groups else "")
    q.filters.regions = region_filter(user)
    if scope == "my":
        q.filters.assignee = user.username
    else:
        q.filters.group = group or "-"
    offset = (q.page - 1) * PAGE_SIZE
    rows, total = await asyncio.to_thread(
        lambda: list_tasks(session, filters=q.filters, limit=PAGE_SIZE, offset=offset)
    )
    saved = await asyncio.to_thread(lambda: filter_rows.of_user(session, username=user.username))
    pages = max(1, -(-total // PAGE_SIZE))
    keep = {k: v for k, v in q.values.items() if v}
    if scope == "group":
        keep["group"] = group

    def page_link(n: int) -> str:
        return f"/staff/{scope}?{urlencode({**keep, 'page': n})}"

    return await render(
        request,
        "staff/worklist.html",
        {
            "scope": scope,
            "rows": rows,
            "total": total,
            "page": q.page,
            "pages": pages,
            "prev_link": page_link(q.page - 1) if q.page > 1 else None,
            "next_link": page_link(q.page + 1) if q.page < pages else None,
            "values": q.values,
            "errors": q.errors,
            "kinds": sorted(TASK_KINDS),
            "statuses": STATUSES,
            "groups": groups,
            "group": group,
            "saved": [(s, saved_filter_link(s)) for s in saved],
        },
        runtime=runtime,
        session=session,
        user=user,
        status=422 if q.errors else 200,
    )


@router.get("/my", response_class=HTMLResponse, response_model=None)
async def my_tasks(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: PageUser
) -> Response:
    """Tasks assigned to me (active by default); an admin (no case work) lands on the
    calendars instead."""
    if not works_cases(user.role_set):
        return redirect("/staff/calendar")
    return await _list_page(request, session, runtime, user, "my")


@router.get("/group", response_class=HTMLResponse)
async def group_tasks(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: StaffPageUser
) -> HTMLResponse:
    """Tasks of my group (one of my roles; active by default)."""
    return await _list_page(request, session, runtime, user, "group")
