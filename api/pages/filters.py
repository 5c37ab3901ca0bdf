"""Saved worklist filters from the pages: the same SavedFilter rows as GET/PUT
/api/v1/tasks/filters, so a filter saved here shows in the API and the other way round."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from api.deps import RuntimeDep
from api.pages.web import PageError, StaffPageUser, now, redirect, text
from api.pages.worklist import parse_query, saved_filter_link
from db import saved_filters
from db.engine import session_scope

router = APIRouter()


class SaveFilterForm(BaseModel):
    name: str = ""
    scope: str = "my"
    group: str = ""
    kind: str = ""
    status: str = ""
    escalated: str = ""
    due_after: str = ""
    due_before: str = ""
    case_id: str = ""
    sort: str = ""


def filters_of(form: SaveFilterForm) -> dict[str, Any]:
    """Stored with the API's keys (TaskFilters fields); dates as ISO days."""
    q = parse_query(form.model_dump())
    f = q.filters
    stored: dict[str, Any] = {
        "kind": f.kind,
        "status": f.status,
        "escalated": f.escalated,
        "case_id": f.case_id,
        "due_after": q.values["due_after"] or None,
        "due_before": q.values["due_before"] or None,
        "sort": f.sort,
    }
    if form.scope == "group" and form.group:
        stored["group"] = form.group
    return {k: v for k, v in stored.items() if v is not None}


@router.post("/filters")
async def save_filter(
    request: Request,
    form: Annotated[SaveFilterForm, Form()],
    runtime: RuntimeDep,
    user: StaffPageUser,
) -> RedirectResponse:
    """Save (or replace) the current filter under a name."""
    name = form.name.strip()[:64]
    back = f"/staff/{'group' if form.scope == 'group' else 'my'}"
    if not name:
        return redirect(back, flash=text(request, "error.required"))
    at = await now(runtime)

    def save() -> str:
        with session_scope(runtime.engine) as session:
            row = saved_filters.save(
                session, username=user.username, name=name, filters=filters_of(form), at=at
            )
            return saved_filter_link(row)

    link = await asyncio.to_thread(save)
    return redirect(link, flash=text(request, "filter.saved_ok", name=name))


@router.post("/filters/{filter_id}/delete")
def delete_filter(
    request: Request, filter_id: int, runtime: RuntimeDep, user: StaffPageUser
) -> RedirectResponse:
    """Delete one of my saved filters."""
    with session_scope(runtime.engine) as session:
        if not saved_filters.delete(session, username=user.username, filter_id=filter_id):
            raise PageError(404, "error.not_found")
    return redirect("/staff/my", flash=text(request, "filter.deleted_ok"))
