"""Check-ins before the eligibility decision (domain/check_ins.py; 社会保险法 art. 50: benefit
time counts from the registration day). From the registration on, the claimant may check in
for the benefit month running now, even while intake and review go on; the registration
itself stands for month 1's check-in (a check-in in person in month 1 is still recorded,
once). On approval they become the benefit months' check-ins (benefit_months.months_of).

Reads: the registration day. Keeps: the check-in days (CaseState.early_check_ins). Serves:
the `check_in` Update until the benefit months exist."""

from __future__ import annotations

from datetime import date, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.check_ins import month_of
    from domain.entitlement import benefit_month_period
    from payloads.case_io import CheckInInput, CheckInResult
    from payloads.case_state import IntakeState
    from payloads.errors import INVALID_OUTCOME, TASK_CLOSED
    from workflows.claim.services import CaseServices

NO_MONTH = "this case has no running benefit month"


class EarlyCheckIns:
    def __init__(self, case: CaseServices, intake: IntakeState, log: list[date]) -> None:
        self.case = case
        self.intake = intake
        self.log = log

    def validate(self, inp: CheckInInput) -> None:
        registered = self.intake.registration_date
        if registered is None or self.case.closed:
            raise ApplicationError(NO_MONTH, type=TASK_CLOSED)
        today = self.case.today()
        on = inp.on or today
        if on > today:
            raise ApplicationError(f"{on} is in the future", "date", type=INVALID_OUTCOME)
        if on < registered:
            raise ApplicationError(
                f"{on} is before the registration ({registered}), where benefit months start",
                "date",
                type=INVALID_OUTCOME,
            )
        month = month_of(registered, today)
        start, end = benefit_month_period(registered, month)
        if not start <= on < end:
            raise ApplicationError(
                f"{on} is not in the running benefit month {month} "
                f"({start} to {end - timedelta(days=1)})",
                "date",
                type=INVALID_OUTCOME,
            )
        earlier = [d for d in self.log if start <= d < end]
        if earlier:
            raise ApplicationError(
                f"month {month} is already checked in (on {earlier[0]})", type=TASK_CLOSED
            )

    def check_in(self, inp: CheckInInput) -> CheckInResult:
        registered = self.intake.registration_date
        assert registered is not None
        on = inp.on or self.case.today()
        month = month_of(registered, on)
        start, end = benefit_month_period(registered, month)
        self.log.append(on)
        self.case.event(
            "checked_in", inp.actor, month=month, on=on.isoformat(), channel=inp.channel
        )
        return CheckInResult(month=month, period_start=start, period_end=end, on=on)
