"""Intake at the counter: a clerk files an employer's termination report or a claimant's
registration. The forms are checked by the API's own models (api.schemas) and filed by the
same service as POST /api/v1/employer-reports and /registrations (api/services/intake.py);
on success the clerk lands on the case page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlmodel import Session
from temporalio.client import Client

from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from api.pages.form_model import M, field_name, read_form
from api.pages.task_forms import FormErrors
from api.pages.web import PageError, StaffPageUser, redirect, render, templates, text
from api.runtime import Runtime
from api.schemas import EmployerReportIn, RegistrationIn
from api.services import ActionError, intake
from api.services.open_case import OpenCaseConflict
from db.models import User
from domain.eligibility import ALL_REASONS

router = APIRouter()


class EmployerReportForm(BaseModel):
    """POST /api/v1/employer-reports, one field per leaf of its body."""

    employer__uscc: str = ""
    employer__name: str = ""
    employer__phone: str = ""
    employer__email: str = ""
    claimant__national_id: str = ""
    claimant__name: str = ""
    claimant__phone: str = ""
    claimant__email: str = ""
    region_code: str = ""
    separation_date: str = ""
    notice_date: str = ""
    reason_code: str = ""
    contribution_months: str = ""
    csrf_token: str = ""


class RegistrationForm(BaseModel):
    """POST /api/v1/registrations, one field per leaf of its body."""

    national_id: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    region_code: str = ""
    separation_date: str = ""
    notice_date: str = ""
    seeking_work: str = ""
    bank_account__bank_code: str = ""
    bank_account__account_number: str = ""
    bank_account__account_name: str = ""
    bank_account__kind: str = "card"
    employer__uscc: str = ""
    employer__name: str = ""
    employer__email: str = ""
    csrf_token: str = ""


FORMS = ("employer-report", "registration")
templates.env.globals["may_file"] = intake.may_file  # the layout's navigation asks


def _may_file(user: User) -> None:
    try:
        intake.require_intake_role(user)
    except ActionError as err:
        raise PageError(403, "error.forbidden", err.message) from err


async def intake_page(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: User,
    which: str,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
    open_case: str | None = None,
) -> HTMLResponse:
    errs = errors or FormErrors()
    regions = runtime.book.regions
    return await render(
        request,
        f"staff/intake_{which.replace('-', '_')}.html",
        {
            "values": values or {},
            "errors": errs.fields,
            "form_error": errs.general,
            "regions": [(code, f"{regions[code].name} {code}") for code in sorted(regions)],
            "separation_reasons": sorted(ALL_REASONS),
            "open_case": open_case,  # a parallel intake was refused: the person's open case
        },
        runtime=runtime,
        session=session,
        user=user,
        status=status,
    )


async def _submit(
    request: Request,
    session: Session,
    runtime: Runtime,
    client: Client,
    user: User,
    which: str,
    form: BaseModel,
    model: type[M],
    file: Callable[[Runtime, Client, User, M], Awaitable[str]],
) -> Response:
    """Check the form with the API's model, file it with the API's service; on any refusal
    show the form again with the input and each message beside its field."""
    _may_file(user)
    body, values, errs = read_form(model, form, lambda key: text(request, key))
    status = 422
    open_case: str | None = None
    if body is not None:
        try:
            case_id = await file(runtime, client, user, body)
        except OpenCaseConflict as err:
            errs.add("", text(request, "intake.open_case", case_id=err.case_id))
            status, open_case = err.status, err.case_id
        except ActionError as err:
            errs.add(field_name(err.loc or [], values.keys()), err.message)
            status = err.status
        else:
            flash = text(request, f"intake.{which.replace('-', '_')}_ok")
            return redirect(f"/staff/cases/{case_id}", flash=flash)
    return await intake_page(
        request,
        session,
        runtime,
        user,
        which,
        values=values,
        errors=errs,
        status=status,
        open_case=open_case,
    )


@router.get("/intake/{which}", response_class=HTMLResponse)
async def show(
    request: Request, which: str, session: SessionDep, runtime: RuntimeDep, user: StaffPageUser
) -> HTMLResponse:
    """The empty employer-report or registration form."""
    if which not in FORMS:
        raise PageError(404, "error.not_found")
    _may_file(user)
    return await intake_page(request, session, runtime, user, which)


@router.post("/intake/employer-report", response_model=None)
async def file_employer_report(
    request: Request,
    form: Annotated[EmployerReportForm, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: StaffPageUser,
) -> Response:
    """File the employer's report; on success, the case page."""
    return await _submit(
        request, session, runtime, client, user, "employer-report", form,
        EmployerReportIn, intake.file_employer_report,
    )  # fmt: skip


@router.post("/intake/registration", response_model=None)
async def file_registration(
    request: Request,
    form: Annotated[RegistrationForm, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
    client: TemporalClientDep,
    user: StaffPageUser,
) -> Response:
    """File the claimant's registration; on success, the case page."""
    return await _submit(
        request, session, runtime, client, user, "registration", form,
        RegistrationIn, intake.file_registration,
    )  # fmt: skip
