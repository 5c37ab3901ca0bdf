"""The two entry points of a case: the employer's report and the claimant's registration.

Both signal-with-start the workflow `case-<case_id>`, where case_id is a keyed hash of the
identity number and the separation date: either order, and any repeat, meet in one case."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import IntakeUser, RuntimeDep, TemporalClientDep
from api.errors import field_error
from api.schemas import CaseRef, EmployerReportIn, RegistrationIn
from domain.identifiers import (
    InvalidIdentifier,
    birth_date_from_national_id,
    validate_national_id,
)
from domain.policy import NoPolicyInForce
from domain.retirement import below_working_age
from workflows.case_models import BankAccount, ClaimInput, EmployerReport, Registration
from workflows.claim import EMPLOYER_REPORT_SIGNAL, REGISTRATION_SIGNAL, ClaimWorkflow

router = APIRouter(tags=["intake"])


async def _check(
    runtime: RuntimeDep,
    client: Client,
    region_code: str,
    separation: date,
    notice: date | None,
    id_field: list[str],
    national_id: str,
) -> None:
    """Checks that need the policy book or the system clock, and the claimant's working age
    (so that nothing a workflow would retry forever reaches it)."""
    book = runtime.book
    if region_code not in book.regions:
        known = ", ".join(book.codes())
        raise field_error(["body", "region_code"], f"unknown region (known: {known})")
    today = await runtime.clock.today(client if runtime.clock.simulated else None)
    if separation > today:
        raise field_error(["body", "separation_date"], f"is in the future (today is {today})")
    if notice is not None and notice > today:
        raise field_error(["body", "notice_date"], f"is in the future (today is {today})")
    try:
        book.region(region_code).at(separation)
    except NoPolicyInForce:
        first = book.region(region_code).periods[0].effective_from
        raise field_error(
            ["body", "separation_date"],
            f"no policy of region {region_code} is in force on {separation} "
            f"(its first period starts {first})",
        ) from None
    try:
        birth = birth_date_from_national_id(validate_national_id(national_id, today=today))
    except InvalidIdentifier as err:
        raise field_error(["body", *id_field], str(err)) from None
    too_young = below_working_age(birth, separation)
    if too_young:
        raise field_error(["body", *id_field], too_young)


async def _signal_with_start(
    client: Client, runtime: RuntimeDep, case_id: str, signal: str, arg: object
) -> None:
    try:
        await client.start_workflow(
            ClaimWorkflow.run,
            ClaimInput(case_id=case_id),
            id=f"case-{case_id}",
            task_queue=runtime.settings.task_queue,
            start_signal=signal,
            start_signal_args=[arg],
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError as err:
        raise HTTPException(409, f"case {case_id} is closed; it takes no new submissions") from err


@router.post("/employer-reports", status_code=201, response_model=CaseRef)
async def file_employer_report(
    body: EmployerReportIn, user: IntakeUser, runtime: RuntimeDep, client: TemporalClientDep
) -> CaseRef:
    """File an employer's termination report; opens or joins the claimant's case."""
    await _check(
        runtime,
        client,
        body.region_code,
        body.separation_date,
        body.notice_date,
        ["claimant", "national_id"],
        body.claimant.national_id,
    )
    case_id = runtime.keys.case_id(body.claimant.national_id, body.separation_date)
    report = EmployerReport(
        uscc=body.employer.uscc,
        employer_name=body.employer.name,
        national_id=body.claimant.national_id,
        claimant_name=body.claimant.name,
        region_code=body.region_code,
        separation_date=body.separation_date,
        notice_date=body.notice_date,
        reason_code=body.reason_code,
        contribution_months=body.contribution_months,
        carried_months=body.carried_months,
        claimant_phone=body.claimant.phone,
        claimant_email=body.claimant.email,
        employer_email=body.employer.email,
        employer_phone=body.employer.phone,
        submitted_by=user.username,
    )
    await _signal_with_start(client, runtime, case_id, EMPLOYER_REPORT_SIGNAL, report)
    return CaseRef(case_id=case_id)


@router.post("/registrations", status_code=201, response_model=CaseRef)
async def file_registration(
    body: RegistrationIn, user: IntakeUser, runtime: RuntimeDep, client: TemporalClientDep
) -> CaseRef:
    """Register a claimant as unemployed and apply for benefits; opens or joins the case."""
    await _check(
        runtime,
        client,
        body.region_code,
        body.separation_date,
        body.notice_date,
        ["national_id"],
        body.national_id,
    )
    case_id = runtime.keys.case_id(body.national_id, body.separation_date)
    acct = body.bank_account
    employer = body.employer
    registration = Registration(
        national_id=body.national_id,
        name=body.name,
        region_code=body.region_code,
        separation_date=body.separation_date,
        seeking_work=body.seeking_work,
        notice_date=body.notice_date,
        phone=body.phone,
        email=body.email,
        bank_account=BankAccount(acct.bank_code, acct.account_number, acct.account_name),
        employer_uscc=employer.uscc if employer else None,
        employer_name=employer.name if employer else None,
        employer_email=employer.email if employer else None,
        submitted_by=user.username,
    )
    await _signal_with_start(client, runtime, case_id, REGISTRATION_SIGNAL, registration)
    return CaseRef(case_id=case_id)
