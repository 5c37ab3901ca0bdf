"""The two entry points of a case, shared by the REST routes and the staff pages: the
employer's report and the claimant's registration.

Both signal-with-start the workflow `case-<case_id>` of the person's open case, found in the
register of open cases (api/services/open_case.py): either order, any repeat, and a report and
a registration that differ only in the separation date meet in one case; a parallel intake
while the person has an open case is refused (409 naming it). A new case's ID is a keyed hash
of the identity number and the separation date of its first submission. They answer after the
workflow's `written_through` barrier: the case's read model already shows the submission
(workflows/claim/submit.py).
The bodies come validated by the API's own models (api.schemas); what needs the policy book
or the system clock is checked here, and refusals are ActionErrors naming the field."""

from __future__ import annotations

from datetime import date

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.runtime import Runtime
from api.schemas import EmployerReportIn, RegistrationIn
from api.services import ActionError, open_case
from db.models import User
from domain.identifiers import InvalidIdentifier, birth_date_from_national_id, validate_national_id
from domain.policy import NoPolicyInForce
from domain.retirement import below_working_age
from payloads.submissions import BankAccount, EmployerReport, Registration
from workflows.claim.submit import submit_and_wait

INTAKE_ROLES = frozenset({"clerk", "supervisor"})


def may_file(user: User) -> bool:
    """Clerks and supervisors file reports and registrations."""
    return bool(user.role_set & INTAKE_ROLES)


def require_intake_role(user: User) -> None:
    if not may_file(user):
        raise ActionError(403, f"this needs one of the roles: {', '.join(sorted(INTAKE_ROLES))}")


async def check_intake(
    runtime: Runtime,
    client: Client,
    *,
    region_code: str,
    separation: date,
    notice: date | None,
    national_id: str,
    id_field: list[str],
) -> None:
    """Checks that need the policy book or the system clock, and the claimant's working age
    (so that nothing a workflow would retry forever reaches it)."""
    book = runtime.book
    if region_code not in book.regions:
        known = ", ".join(book.codes())
        raise ActionError(422, f"unknown region (known: {known})", ["body", "region_code"])
    today = await runtime.clock.today(client if runtime.clock.simulated else None)
    if separation > today:
        raise ActionError(422, f"is in the future (today is {today})", ["body", "separation_date"])
    if notice is not None and notice > today:
        raise ActionError(422, f"is in the future (today is {today})", ["body", "notice_date"])
    try:
        book.region(region_code).at(separation)
    except NoPolicyInForce:
        first = book.region(region_code).periods[0].effective_from
        raise ActionError(
            422,
            f"no policy of region {region_code} is in force on {separation} "
            f"(its first period starts {first})",
            ["body", "separation_date"],
        ) from None
    try:
        birth = birth_date_from_national_id(validate_national_id(national_id, today=today))
    except InvalidIdentifier as err:
        raise ActionError(422, str(err), ["body", *id_field]) from None
    too_young = below_working_age(birth, separation)
    if too_young:
        raise ActionError(422, too_young, ["body", *id_field])


class CaseClosed(ActionError):
    """409: the case's workflow has finished; it takes no new submissions."""


async def _signal_with_start(
    runtime: Runtime, client: Client, case_id: str, submission: EmployerReport | Registration
) -> None:
    try:
        await submit_and_wait(
            client,
            runtime.settings.task_queue,
            case_id,
            submission,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError as err:
        raise CaseClosed(409, f"case {case_id} is closed; it takes no new submissions") from err


async def _file(
    runtime: Runtime, client: Client, submission: EmployerReport | Registration, uscc: str | None
) -> str:
    """Route the submission to the person's case (open_case.route) and signal-with-start it.
    A routed case found closed is released from the register and the routing repeated once
    (a new separation then opens a new case); a new case that could not start is released."""
    kind: open_case.Kind = (
        "employer_report" if isinstance(submission, EmployerReport) else "registration"
    )
    for _ in range(2):
        to = await open_case.route(
            runtime,
            client,
            kind=kind,
            national_id=submission.national_id,
            separation=submission.separation_date,
            employer_uscc=uscc,
        )
        try:
            await _signal_with_start(runtime, client, to.case_id, submission)
        except CaseClosed:
            await open_case.release(runtime, to.case_id)
            if to.new:
                raise
            continue
        except BaseException:
            if to.new:
                await open_case.release(runtime, to.case_id)
            raise
        return to.case_id
    raise ActionError(409, "the person's case closed while this was filed; try again")


async def file_employer_report(
    runtime: Runtime, client: Client, user: User, body: EmployerReportIn
) -> str:
    """File an employer's termination report; opens or joins the claimant's case. Returns
    the case ID."""
    require_intake_role(user)
    await check_intake(
        runtime,
        client,
        region_code=body.region_code,
        separation=body.separation_date,
        notice=body.notice_date,
        national_id=body.claimant.national_id,
        id_field=["claimant", "national_id"],
    )
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
        claimant_phone=body.claimant.phone,
        claimant_email=body.claimant.email,
        employer_email=body.employer.email,
        employer_phone=body.employer.phone,
        submitted_by=user.username,
    )
    return await _file(runtime, client, report, body.employer.uscc)


async def file_registration(
    runtime: Runtime, client: Client, user: User, body: RegistrationIn
) -> str:
    """Register a claimant as unemployed and apply for benefits; opens or joins the case.
    Returns the case ID."""
    require_intake_role(user)
    await check_intake(
        runtime,
        client,
        region_code=body.region_code,
        separation=body.separation_date,
        notice=body.notice_date,
        national_id=body.national_id,
        id_field=["national_id"],
    )
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
    return await _file(runtime, client, registration, registration.employer_uscc)
