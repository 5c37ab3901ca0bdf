"""The supervisor page: the escalation queue, reassignment, and extending a running deadline."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from api.pages.casedata import DEADLINE_KINDS
from api.pages.task_forms import FormErrors, field_of
from api.pages.web import StaffPageUser, redirect, render, require_role, text
from api.runtime import Runtime
from api.services import ActionError
from api.services import tasks as actions
from api.services.cases import extend_deadline
from db.models import Task, User
from db.tasks import TaskFilters, list_tasks
from db.users import active_users
from domain.tasks import may_complete

router = APIRouter()
PAGE_SIZE = 50


class AssignForm(BaseModel):
    task_id: str = ""
    assignee: str = ""
    reason: str = ""


class ExtendForm(BaseModel):
    case_id: str = ""
    kind: str = ""
    days: str = ""
    reason: str = ""


def candidates(users: list[User], task: Task) -> list[User]:
    """The users who may work `task` (domain.tasks.may_complete with their roles)."""
    return [
        u
        for u in users
        if may_complete(u.role_set, task.group, task.escalated, task.original_group, task.kind)
    ]


async def supervisor_page(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: User,
    *,
    assign: dict[str, Any] | None = None,
    extend: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    filters = TaskFilters(escalated=True, status="active", sort="due")
    rows, total = await asyncio.to_thread(
        lambda: list_tasks(session, filters=filters, limit=PAGE_SIZE, offset=0)
    )
    users = await asyncio.to_thread(active_users, session)
    params = request.query_params
    return await render(
        request,
        "staff/supervisor.html",
        {
            "rows": [(r, candidates(users, r.task)) for r in rows],
            "total": total,
            "assign": assign or {},
            "extend": extend
            or {"case_id": params.get("case_id", ""), "kind": params.get("kind", "")},
            "deadline_kinds": DEADLINE_KINDS,
            "errors": (errors or FormErrors()).fields,
            "form_error": (errors or FormErrors()).general,
        },
        runtime=runtime,
        session=session,
        user=user,
        status=status,
    )


@router.get("/supervisor", response_class=HTMLResponse)
async def show(
    request: Request, session: SessionDep, runtime: RuntimeDep, user: StaffPageUser
) -> HTMLResponse:
    """Escalated tasks, oldest due first, each with whom it can be given to."""
    require_role(user, "supervisor")
    return await supervisor_page(request, session, runtime, user)


@router.post("/supervisor/assign", response_model=None)
async def assign(
    request: Request,
    form: Annotated[AssignForm, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: StaffPageUser,
) -> Response:
    """Give an escalated task to a named user, who is notified."""
    require_role(user, "supervisor")
    errs = FormErrors()
    if not form.assignee:
        errs.add("assignee", text(request, "error.required"))
    else:
        try:
            task, target, at = await actions.assign(
                runtime, client, user, form.task_id, form.assignee, form.reason.strip() or None
            )
        except ActionError as err:
            errs.add(field_of(err.loc), err.message)
        else:
            await asyncio.to_thread(actions.notify_assignee, runtime, task, target, user, at)
            who = target.full_name or target.username
            return redirect("/staff/supervisor", flash=text(request, "sup.assigned_ok", who=who))
    return await supervisor_page(
        request, session, runtime, user, assign=form.model_dump(), errors=errs, status=422
    )


@router.post("/supervisor/extend", response_model=None)
async def extend(
    request: Request,
    form: Annotated[ExtendForm, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: StaffPageUser,
) -> Response:
    """Move a running deadline of a case by some days, with a reason."""
    require_role(user, "supervisor")
    errs = FormErrors()
    for name in ("case_id", "kind", "days", "reason"):
        if not getattr(form, name).strip():
            errs.add(name, text(request, "error.required"))
    days = 0
    if "days" not in errs.fields:
        try:
            days = int(form.days)
        except ValueError:
            errs.add("days", text(request, "error.integer"))
    status = 422
    if not errs:
        case_id = form.case_id.strip()
        try:
            await extend_deadline(
                runtime, client, user, case_id, form.kind, days, form.reason.strip()
            )
        except ActionError as err:
            errs.add(field_of(err.loc), err.message)
            status = err.status
        else:
            flash = text(request, "sup.extended_ok", days=days)
            return redirect(f"/staff/cases/{case_id}", flash=flash)
    return await supervisor_page(
        request, session, runtime, user, extend=form.model_dump(), errors=errs, status=status
    )
