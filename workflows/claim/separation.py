"""One separation, two dates (issue 9 §4): the employer's report and the claimant's
registration met in one case (domain/open_cases.py) but give different separation dates. A
clerk settles which is right (the `separation_date_mismatch` task); the chosen date then
drives the case: the employer-report deadline (15 days from the separation) is planned again
from it, and the region's policy is the one in force on it.

Reads and keeps: IntakeState.separation_date. Serves: the check of the task's completion."""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.rules import RuleActivities
    from domain.task_data import SeparationDateMismatchData, TaskData
    from domain.tasks import OutcomeError
    from payloads.case_state import IntakeState
    from payloads.rules import CasePolicyInput
    from payloads.submissions import EmployerReport
    from workflows.claim.deadlines import Deadlines
    from workflows.claim.services import CaseServices
    from workflows.human_tasks import data_of

KIND = "separation_date_mismatch"


def given_dates(s: IntakeState) -> tuple[date, date] | None:
    """The employer's and the claimant's separation dates when both came and differ."""
    report, reg = s.employer_report, s.registration
    if report is None or reg is None or report.separation_date == reg.separation_date:
        return None
    return report.separation_date, reg.separation_date


def unsettled(s: IntakeState) -> bool:
    return s.separation_date is None and given_dates(s) is not None


async def settle_separation(case: CaseServices, s: IntakeState, deadlines: Deadlines) -> None:
    """Open the clerk's task, wait for the chosen date, and let it drive the case."""
    dates = given_dates(s)
    assert dates is not None
    employer, claimant = dates
    case.event(
        "separation_date_mismatch",
        None,
        employer_date=employer.isoformat(),
        claimant_date=claimant.isoformat(),
    )
    task = await case.open_task(
        KIND,
        f"{KIND}-{case.case_id}",
        "离职日期不一致 / Separation dates differ",
        employer_date=employer.isoformat(),
        claimant_date=claimant.isoformat(),
    )
    done = await case.tasks.decided(task.task_id)
    chosen = data_of(done, SeparationDateMismatchData).separation_date
    assert chosen is not None, "the kind's check requires it"
    s.separation_date = chosen
    case.event(
        "separation_date_settled",
        done.actor,
        separation_date=chosen.isoformat(),
        reason=done.reason,
    )
    case.set_policy(
        await case.activity(
            RuleActivities.case_policy, CasePolicyInput(region_code=case.region_code, on=chosen)
        )
    )
    planned = deadlines.get("employer_report")
    if planned is None or planned.start != chosen:
        await deadlines.replan("employer_report", chosen)


def late_report_refused(case: CaseServices, report: EmployerReport, in_use: date) -> bool:
    """Past intake (the caller checks) only the case's own date joins (domain/open_cases.py):
    a late employer report with another date (one that slipped past the door's check in a
    race) is kept out of the case and noted on its timeline."""
    if report.separation_date == in_use:
        return False
    case.event(
        "employer_report_not_taken",
        report.submitted_by,
        separation_date=report.separation_date.isoformat(),
    )
    return True


def check_choice(s: IntakeState, data: TaskData) -> None:
    """The chosen date is one of the two the case was given."""
    dates = given_dates(s)
    if not isinstance(data, SeparationDateMismatchData) or dates is None:
        return
    if data.separation_date not in dates:
        raise OutcomeError(
            "data.separation_date",
            f"choose one of the two dates given: {dates[0]} (employer) or {dates[1]} (claimant)",
        )
