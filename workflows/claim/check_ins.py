"""Check-ins before the eligibility decision (domain/check_ins.py; 社会保险法 art. 50: benefit
time counts from the registration day). From the registration on, the claimant may check in
for the benefit month running now, even while intake and review go on; the registration
itself stands for month 1's check-in (a check-in in person in month 1 is still recorded,
once). On approval they become the benefit months' check-ins (benefit_months.months_of).

At the destination of a cross-province transfer not accepted yet (workflows/claim/
transfer.py; DOMAIN.md stage 9) the months are the carried ones, numbered from 1 there: a
check-in is made for the carried month running now, answered in that numbering, and on
acceptance that month keeps it (kept_in), as one the source accepted while it moved out.

Reads: the registration day, the carried months. Keeps: the check-in days
(CaseState.early_check_ins). Serves: the `check_in` Update until the benefit months exist."""

from __future__ import annotations

from datetime import date, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.check_ins import month_of
    from domain.entitlement import benefit_month_period
    from payloads.case_io import CheckInInput, CheckInResult
    from payloads.case_state import IntakeState, MonthState
    from payloads.errors import INVALID_OUTCOME, TASK_CLOSED
    from workflows.claim.services import CaseServices

NO_MONTH = "this case has no running benefit month"


def kept_in(months: list[MonthState], log: list[date]) -> list[MonthState]:
    """The carried months with the check-ins made at the destination before its acceptance:
    the first one in a month's period checks it in on that day (a month the source checked
    in keeps the source's)."""
    for ms in months:
        made = sorted(d for d in log if ms.start <= d < ms.end)
        if made and ms.status != "checked_in":
            ms.status, ms.check_in, ms.by_registration = "checked_in", made[0], False
    return months


class EarlyCheckIns:
    def __init__(
        self,
        case: CaseServices,
        intake: IntakeState,
        log: list[date],
        carried: list[MonthState] | None = None,
    ) -> None:
        self.case = case
        self.intake = intake
        self.log = log
        self.carried = carried  # a transfer's destination awaiting acceptance: its months

    def _month(self, registered: date, day: date) -> tuple[int, date, date] | None:
        """The benefit month holding `day` (number, start, exclusive end): the carried one
        at a transfer's destination (None past them), else by the registration day."""
        if self.carried is not None:
            held = [m for m in self.carried if m.start <= day < m.end]
            return (held[0].month, held[0].start, held[0].end) if held else None
        month = month_of(registered, day)
        return (month, *benefit_month_period(registered, month))

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
        running = self._month(registered, today)
        if running is None:
            raise ApplicationError(NO_MONTH, type=TASK_CLOSED)
        month, start, end = running
        if not start <= on < end:
            raise ApplicationError(
                f"{on} is not in the running benefit month {month} "
                f"({start} to {end - timedelta(days=1)})",
                "date",
                type=INVALID_OUTCOME,
            )
        earlier = [d for d in self.log if start <= d < end]
        earlier += [
            m.check_in
            for m in self.carried or []
            if m.month == month and m.status == "checked_in" and m.check_in is not None
        ]
        if earlier:
            raise ApplicationError(
                f"month {month} is already checked in (on {earlier[0]})", type=TASK_CLOSED
            )

    def check_in(self, inp: CheckInInput) -> CheckInResult:
        registered = self.intake.registration_date
        assert registered is not None
        on = inp.on or self.case.today()
        # validated in a carried month; a check-in an earlier code accepted (replayed without
        # its validator) past them keeps the registration's numbering
        held = self._month(registered, on)
        if held is None:
            month = month_of(registered, on)
            held = (month, *benefit_month_period(registered, month))
        month, start, end = held
        self.log.append(on)
        self.case.event(
            "checked_in", inp.actor, month=month, on=on.isoformat(), channel=inp.channel
        )
        return CheckInResult(month=month, period_start=start, period_end=end, on=on)
