"""The intake stage's reminders before a deadline: the employer the claimant named, of a report
not yet filed; the claimant, of a registration not yet made."""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from payloads.case_state import DeadlineInfo, IntakeState
    from workflows.claim.services import CaseServices, Contact


async def remind_employer(case: CaseServices, s: IntakeState, dl: DeadlineInfo, day: date) -> None:
    """Remind the employer the claimant named (registration came first)."""
    reg = s.registration
    assert reg is not None
    await case.notify(
        f"employer_report_reminder:{day.isoformat()}",
        "employer_report_reminder",
        Contact(email=reg.employer_email, phone=None),
        due_date=dl.due_date,
        employer_name=reg.employer_name or "用人单位",
        separation_date=reg.separation_date,
    )


async def remind_claimant(case: CaseServices, s: IntakeState, dl: DeadlineInfo, day: date) -> None:
    report = s.employer_report
    assert report is not None
    await case.notify_claimant(
        f"registration_reminder:{day.isoformat()}",
        "registration_reminder",
        due_date=dl.due_date,
        notice_date=report.notice_date,
    )
