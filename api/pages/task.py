"""The task page: case summary, timeline, claim/unclaim and the decision form of its kind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from temporalio.client import Client

from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from api.pages.casedata import CaseView, load_case
from api.pages.task_forms import CompleteForm, FormErrors, field_of, to_outcome
from api.pages.web import PageError, StaffPageUser, nav_counts, redirect, render, text
from api.runtime import Runtime
from api.services import ActionError
from api.services import tasks as actions
from api.threads import in_thread
from db.models import Task, User
from domain.eligibility import ALL_REASONS
from domain.review import REJECTION_REASONS
from domain.tasks import TASK_KINDS, may_complete

router = APIRouter()
# the others: one reason + buttons
KIND_FORMS = {
    "review_claim",
    "employer_report_overdue",
    "payment_returned",
    "separation_date_mismatch",
}


def _task(session: Session, task_id: str) -> Task:
    try:
        return actions.get_task(session, task_id)
    except ActionError as err:
        raise PageError(404, "error.not_found", err.message) from err


def _abilities(task: Task, user: User) -> dict[str, bool]:
    works = may_complete(user.role_set, task.group, task.escalated, task.original_group, task.kind)
    active = task.status != "completed"
    return {
        "can_claim": works and task.status == "open",
        "can_unclaim": task.status == "claimed"
        and (task.assignee == user.username or "supervisor" in user.role_set),
        "can_decide": works
        and active
        and task.assignee in (None, user.username)
        # an escalated task waits for a supervisor, or for the person they assign it to
        and not (task.escalated and task.assignee is None and "supervisor" not in user.role_set),
    }


async def task_page(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: User,
    task: Task,
    *,
    submitted: str = "",
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
    loaded: tuple[CaseView | None, dict[str, int]] | None = None,
) -> HTMLResponse:
    """The task page; `loaded` is the case view and nav counts when the caller read them."""
    if loaded is None:
        view = await asyncio.to_thread(load_case, session, task.case_id) if task.case_id else None
        counts = None
    else:
        view, counts = loaded
    spec = TASK_KINDS.get(task.kind)
    errs = errors or FormErrors()
    form_kind = task.kind if task.kind in KIND_FORMS else "generic"
    return await render(
        request,
        "staff/task.html",
        {
            "task": task,
            "view": view,
            "form_template": f"staff/form_{form_kind}.html",
            "outcomes": sorted(spec.outcomes) if spec else [],
            "rejection_reasons": list(REJECTION_REASONS),
            "separation_reasons": sorted(ALL_REASONS),
            "submitted": submitted,
            "values": values or {},
            "errors": errs.fields,
            "form_error": errs.general,
            **_abilities(task, user),
        },
        runtime=runtime,
        session=session,
        user=user,
        status=status,
        counts=counts,
    )


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
async def show_task(
    request: Request, task_id: str, runtime: RuntimeDep, user: StaffPageUser
) -> HTMLResponse:
    """One task with its case and the form to decide it."""

    def load() -> tuple[Session, Task, CaseView | None, dict[str, int]]:
        # everything the page reads, in one session on one thread
        with Session(runtime.engine) as session:
            task = _task(session, task_id)
            view = load_case(session, task.case_id) if task.case_id else None
            return session, task, view, nav_counts(session, user)

    session, task, view, counts = await in_thread(load)
    return await task_page(request, session, runtime, user, task, loaded=(view, counts))


async def _hold(
    request: Request,
    task_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: StaffPageUser,
    act: Callable[[Runtime, Client, User, str], Awaitable[object]],
    done_key: str,
) -> Response:
    """Claim or unclaim, then back to the task page (with the refusal beside the buttons)."""
    try:
        await act(runtime, client, user, task_id)
    except ActionError as err:
        task = _task(session, task_id)
        errs = FormErrors(general=err.message)
        return await task_page(
            request, session, runtime, user, task, errors=errs, status=err.status
        )
    return redirect(f"/staff/tasks/{task_id}", flash=text(request, done_key))


@router.post("/tasks/{task_id}/claim", response_model=None)
async def claim(
    request: Request,
    task_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: StaffPageUser,
) -> Response:
    """Take the task into my queue."""
    return await _hold(
        request, task_id, session, runtime, client, user, actions.claim, "task.claimed_ok"
    )


@router.post("/tasks/{task_id}/unclaim", response_model=None)
async def unclaim(
    request: Request,
    task_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: StaffPageUser,
) -> Response:
    """Put the task back into its group's queue."""
    return await _hold(
        request, task_id, session, runtime, client, user, actions.unclaim, "task.unclaimed_ok"
    )


@router.post("/tasks/{task_id}/complete", response_model=None)
async def complete(
    request: Request,
    task_id: str,
    form: Annotated[CompleteForm, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: StaffPageUser,
) -> Response:
    """Decide the task; on error the form comes back with my input and the message."""
    task = _task(session, task_id)
    values = form.model_dump(exclude={"csrf_token"})
    decided, errs = to_outcome(task.kind, form, lambda key: text(request, key))
    if decided is None:
        return await task_page(
            request, session, runtime, user, task,
            submitted=form.form, values=values, errors=errs, status=422,
        )  # fmt: skip
    outcome, reason, data = decided
    try:
        await actions.complete(
            runtime, client, user, task_id, outcome=outcome, reason=reason, data=data
        )
    except ActionError as err:
        session.expire_all()
        task = _task(session, task_id)
        errs = FormErrors()
        errs.add(field_of(err.loc), err.message)
        return await task_page(
            request, session, runtime, user, task,
            submitted=form.form, values=values, errors=errs, status=err.status,
        )  # fmt: skip
    label = text(request, f"outcome.{outcome}")
    target = f"/staff/cases/{task.case_id}" if task.case_id else "/staff/my"
    return redirect(target, flash=text(request, "task.completed_ok", outcome=label))
