"""Benefit months, DOMAIN.md stage 5 and "Benefit months".

Month i of an entitlement starting on the registration day S covers [S + (i-1) months,
S + i months). The claimant checks in once inside each month; a checked-in month is owed
once (a ledger obligation, paid by the next payment run). Without a check-in a reminder goes
out before the month ends; a missed month opens a `missed_check_in` task for clerks, who may
record a good reason (excused: the month is paid); two consecutive unexcused misses stop
the case (seed 000 art. 33). After the last month the case closes as exhausted.

Reads: the entitlement (at the start), where to pay (Payee). Keeps: BenefitState. Serves:
the `check_in` Update. Answers, per month: go on to the next, stopped, or exhausted."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.ledger import LedgerActivities
    from activities.rules import AmountActivities
    from domain.calendar import AGENCY_TZ
    from domain.deadlines import reminder_instant
    from domain.entitlement import benefit_month_period
    from payloads.case_io import CheckInInput, CheckInResult
    from payloads.case_state import BenefitState, Entitlement, MonthState
    from payloads.errors import INVALID_OUTCOME, TASK_CLOSED
    from payloads.records import ObligationInput
    from payloads.rules import MonthAmountInput
    from payloads.submissions import BankAccount
    from workflows.claim.services import SHORT, CaseServices
    from workflows.waiting import fixed, wait_until

MonthEnd = Literal["next", "stopped", "exhausted"]


@dataclass(frozen=True)
class Payee:
    """Where a case's months are paid: its region's fund, the registration's account."""

    region_code: str
    account: BankAccount | None


def month_end_instant(ms: MonthState) -> datetime:
    """The month is over at 00:00 (China time) of its exclusive end day."""
    return datetime.combine(ms.end, time(0), tzinfo=AGENCY_TZ)


def months_of(ent: Entitlement) -> BenefitState:
    """The entitlement's months, the first running."""
    return BenefitState(
        months=[
            MonthState(month=i, start=start, end=end)
            for i, (start, end) in (
                (i, benefit_month_period(ent.start_date, i)) for i in range(1, ent.months + 1)
            )
        ]
    )


class BenefitMonths:
    def __init__(self, case: CaseServices, state: BenefitState, payee: Payee) -> None:
        self.case = case
        self.state = state
        self.payee = payee
        self.waiters: list[asyncio.Task[None]] = []

    def current(self) -> MonthState | None:
        b = self.state
        return b.months[b.current - 1] if b.current <= len(b.months) else None

    # ---- check-ins (an Update: validated before anything changes) -------------------------

    def validate_check_in(self, inp: CheckInInput) -> None:
        ms = self.current() if not self.case.closed else None
        if ms is None:
            raise ApplicationError("this case has no running benefit month", type=TASK_CLOSED)
        today = self.case.today()
        on = inp.on or today
        if on > today:
            raise ApplicationError(f"{on} is in the future", "date", type=INVALID_OUTCOME)
        if not ms.start <= on < ms.end:
            raise ApplicationError(
                f"{on} is not in the running benefit month {ms.month} "
                f"({ms.start} to {ms.end - timedelta(days=1)})",
                "date",
                type=INVALID_OUTCOME,
            )
        if ms.status == "checked_in":
            raise ApplicationError(
                f"month {ms.month} is already checked in (on {ms.check_in})", type=TASK_CLOSED
            )

    def check_in(self, inp: CheckInInput) -> CheckInResult:
        ms = self.current()
        assert ms is not None
        ms.status, ms.check_in = "checked_in", inp.on or self.case.today()
        self.case.event(
            "checked_in", inp.actor, month=ms.month, on=ms.check_in.isoformat(), channel=inp.channel
        )
        return CheckInResult(
            month=ms.month, period_start=ms.start, period_end=ms.end, on=ms.check_in
        )

    # ---- the month cycle -----------------------------------------------------------------

    def resume(self) -> None:
        """After continue-as-new: wait again for the decisions still open."""
        for ms in self.state.months:
            if ms.status == "missed" and ms.task_id:
                self.waiters.append(asyncio.create_task(self._await_decision(ms)))

    async def run_month(self) -> MonthEnd:
        """Live the running month to its end."""
        b = self.state
        ms = self.current()
        if ms is None:
            await workflow.wait_condition(lambda: all(m.status != "missed" for m in b.months))
            return "exhausted"
        checked = lambda: ms.status == "checked_in"  # noqa: E731
        reminder_days = self.case.policy.check_in_reminder_days
        remind_at = reminder_instant(ms.end - timedelta(days=reminder_days))
        if not ms.reminded and remind_at > workflow.now():
            if not await wait_until(checked, fixed(remind_at)):
                ms.reminded = True
                self.case.event("check_in_reminder_sent", None, month=ms.month)
                self.case.spawn(
                    self.case.notify_claimant(
                        f"check_in_reminder:{ms.month}",
                        "check_in_reminder",
                        month=ms.month,
                        last_day=ms.end - timedelta(days=1),
                    )
                )
        end_at = month_end_instant(ms)
        if await wait_until(checked, fixed(end_at)):
            await self._owe(ms)
            await wait_until(lambda: False, fixed(end_at))
        else:
            await self._missed(ms)
            if await self._two_unexcused(ms):
                return "stopped"
        b.current += 1
        return "next" if b.current <= len(b.months) else await self.run_month()

    async def _missed(self, ms: MonthState) -> None:
        ms.status = "missed"
        self.case.event("check_in_missed", None, month=ms.month)
        task = await self.case.open_task(
            "missed_check_in",
            f"missed_check_in-{self.case.case_id}-{ms.month}",
            f"未按时报到（第{ms.month}个月）/ Missed check-in, month {ms.month}",
            month=ms.month,
            period_start=ms.start.isoformat(),
            period_end=(ms.end - timedelta(days=1)).isoformat(),
        )
        ms.task_id = task.task_id
        self.waiters.append(asyncio.create_task(self._await_decision(ms)))

    async def _await_decision(self, ms: MonthState) -> None:
        assert ms.task_id is not None
        done = await self.case.tasks.decided(ms.task_id)
        ms.status = "excused" if done.outcome == "excused" else "unexcused"
        self.case.event(f"check_in_{ms.status}", done.actor, month=ms.month, reason=done.reason)
        if ms.status == "excused":
            await self._owe(ms)

    async def _two_unexcused(self, ms: MonthState) -> bool:
        """Seed 000 art. 33: two consecutive missed check-ins without good reason stop it."""
        if ms.month == 1:
            return False
        prev = self.state.months[ms.month - 2]
        if prev.status not in ("missed", "unexcused"):
            return False
        await workflow.wait_condition(lambda: "missed" not in (prev.status, ms.status))
        return prev.status == "unexcused" and ms.status == "unexcused"

    async def _owe(self, ms: MonthState) -> None:
        """A month to pay: its amount is the policy's on the month's first day."""
        if ms.owed:
            return
        priced = await workflow.execute_activity_method(
            AmountActivities.month_amount,
            MonthAmountInput(region_code=self.payee.region_code, on=ms.start),
            start_to_close_timeout=SHORT,
        )
        ms.amount, ms.policy_version = priced.amount, priced.policy_version
        acct = self.payee.account
        await workflow.execute_activity_method(
            LedgerActivities.create_obligation,
            ObligationInput(
                case_id=self.case.case_id,
                region_code=self.payee.region_code,
                month=ms.month,
                period_start=ms.start,
                period_end=ms.end - timedelta(days=1),
                category="benefit",
                amount=priced.amount,
                at=workflow.now(),
                bank_code=acct.bank_code if acct else None,
                account_number=acct.account_number if acct else None,
                account_name=acct.account_name if acct else None,
            ),
            start_to_close_timeout=SHORT,
        )
        ms.owed = True
        self.case.event("payment_owed", None, month=ms.month, amount=str(priced.amount))

    def cancel_waiters(self) -> None:
        for waiter in self.waiters:
            waiter.cancel()
