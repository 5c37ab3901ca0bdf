from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.ledger import LedgerActivities
    from activities.rules import AmountActivities
    from domain.calendar import AGENCY_TZ
    from domain.check_ins import counts_as_missed, month_of, stopping_pair
    from domain.deadlines import reminder_instant
    from domain.entitlement import benefit_month_period
    from domain.review import APPEAL_NOTICE_ZH
    from payloads.case_io import CheckInInput, CheckInResult
    from payloads.case_state import BenefitState, CheckInStop, Entitlement, MonthState
    from payloads.errors import INVALID_OUTCOME, RETRY_LATER, TASK_CLOSED
    from payloads.records import ObligationInput
    from payloads.rules import MonthAmountInput
    from payloads.submissions import BankAccount
    from workflows.claim.services import CaseServices
    from workflows.waiting import fixed, wait_until

MONTH_LOCAL_STEPS = "month-local-steps"  # workflow.patched: owe's steps as local activities
OWED_AS_LEDGER = "month-owed-as-ledger"  # workflow.patched: the amount the ledger holds (owe)
MonthEnd = Literal["next", "stopped", "exhausted", "transferred"]
PAYABLE = ("checked_in", "excused", "waived")
MONTH_TURNING = "the benefit month is turning; try again"


@dataclass(frozen=True)
class Payee:
    """Where a case's months are paid: its region's fund, the registration's account."""

    region_code: str
    account: BankAccount | None


def month_end_instant(ms: MonthState) -> datetime:
    """The month is over at 00:00 (China time) of its exclusive end day."""
    return datetime.combine(ms.end, time(0), tzinfo=AGENCY_TZ)


def months_of(ent: Entitlement, check_ins: list[date], decided_on: date) -> BenefitState:
    """The entitlement's months as the approval on `decided_on` finds them: month 1 checked
    in by the registration, those checked in before the approval checked in, those that
    ended before it without one waived; the month running on `decided_on` current."""
    months = []
    for i in range(1, ent.months + 1):
        start, end = benefit_month_period(ent.start_date, i)
        ms = MonthState(month=i, start=start, end=end)
        made = sorted(d for d in check_ins if start <= d < end)
        if made:
            ms.status, ms.check_in = "checked_in", made[0]
        elif i == 1:
            ms.status, ms.check_in, ms.by_registration = "checked_in", ent.start_date, True
        elif not counts_as_missed(end, decided_on):
            ms.status = "waived"
        months.append(ms)
    current = month_of(ent.start_date, decided_on) if decided_on >= ent.start_date else 1
    return BenefitState(months=months, current=min(current, ent.months + 1))


class BenefitMonths:
    def __init__(
        self,
        case: CaseServices,
        state: BenefitState,
        payee: Payee,
        interrupted: Callable[[], bool] = lambda: False,
    ) -> None:
        self.case = case
        self.state = state
        self.payee = payee
        self.interrupted = interrupted  # a cross-province transfer cuts the month's wait
        self.waiters: list[asyncio.Task[None]] = []

    def current(self) -> MonthState | None:
        b = self.state
        return b.months[b.current - 1] if b.current <= len(b.months) else None

    def stopped(self) -> bool:
        """Stopped by two unexcused misses or by a stop event (workflows/claim/stops.py)."""
        return self.state.stop is not None or self.state.event is not None

    def opened(self) -> None:
        """On approval: the timeline shows what the approval found (months_of)."""
        for ms in self.state.months:
            if ms.by_registration:
                assert ms.check_in is not None
                self.case.event(
                    "checked_in", None, month=1, on=ms.check_in.isoformat(), channel="registration"
                )
            elif ms.status == "waived":
                self.case.event("check_in_waived", None, month=ms.month)

    # ---- check-ins (an Update: validated before anything changes) -------------------------

    def validate_check_in(self, inp: CheckInInput) -> None:
        ms = self.current() if not (self.case.closed or self.stopped()) else None
        if ms is None:
            raise ApplicationError("this case has no running benefit month", type=TASK_CLOSED)
        today = self.case.today()
        if today >= ms.end:
            # the month has ended and the case is moving on to the next one (in this very
            # workflow task, or once the month's end is settled): the API sends it again
            raise ApplicationError(MONTH_TURNING, type=RETRY_LATER)
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
        if ms.status == "checked_in" and not ms.by_registration:
            raise ApplicationError(
                f"month {ms.month} is already checked in (on {ms.check_in})", type=TASK_CLOSED
            )

    def check_in(self, inp: CheckInInput) -> CheckInResult:
        ms = self.current()
        assert ms is not None
        ms.status, ms.check_in = "checked_in", inp.on or self.case.today()
        ms.by_registration = False
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
        """Live the running month to its end (or to a stop decided meanwhile)."""
        b = self.state
        for past in b.months[: b.current - 1]:  # payable, not owed yet (approval, restart)
            if past.status in PAYABLE:
                await self.owe(past)
        ms = self.current()
        if ms is None:
            await workflow.wait_condition(
                lambda: self.stopped() or all(m.status != "missed" for m in b.months)
            )
            return await self._stop() if self.stopped() else "exhausted"
        cut: Callable[[], bool] = lambda: self.stopped() or self.interrupted()  # noqa: E731
        checked = lambda: ms.status == "checked_in" or cut()  # noqa: E731
        reminder_days = self.case.policy.check_in_reminder_days
        remind_at = reminder_instant(ms.end - timedelta(days=reminder_days))
        if (
            not ms.reminded
            and remind_at > workflow.now()
            and not await wait_until(checked, fixed(remind_at))
        ):
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
        if await wait_until(checked, fixed(end_at)) and not cut():
            await self.owe(ms)
            await wait_until(cut, fixed(end_at))
        if self.interrupted() and not self.stopped():
            return "transferred"
        if self.stopped():
            return await self._stop()
        if ms.status != "checked_in":
            await self._missed(ms)
        b.current += 1
        return "next" if b.current <= len(b.months) else await self.run_month()

    async def _missed(self, ms: MonthState) -> None:
        """Open the clerks' task; its decision is awaited alongside the next months."""
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
            self.case.spawn(self.owe(ms))
            return
        pair = stopping_pair([m.status for m in self.state.months])
        if pair is not None and not self.stopped():
            self.state.stop = CheckInStop(
                months=list(pair), effective_date=self.case.today(), decided_by=done.actor
            )

    async def _stop(self) -> MonthEnd:
        """Seed 000 art. 33: the stop kept as evidence and told to the claimant, with the
        reason and the right of appeal (the notice: api/services/notices.py)."""
        stop = self.state.stop
        self.cancel_waiters()  # the months still awaiting a decision are not judged now
        for task in self.case.tasks.open_ones("missed_check_in"):
            await self.case.tasks.close_by_system(
                task.task_id, "case_stopped", "benefits stopped (seed 000 art. 33): not judged"
            )
        if stop is None:  # a stop event: settled by workflows/claim/stops.py
            return "stopped"
        periods = [self.state.months[m - 1] for m in stop.months]
        await self.case.determine(
            "check_in_stop",
            "stopped",
            stop.decided_by,
            self.case.policy.policy_version,
            inputs={
                "months": list(stop.months),
                "periods": [
                    [p.start.isoformat(), (p.end - timedelta(days=1)).isoformat()] for p in periods
                ],
            },
            result={"effective_date": stop.effective_date.isoformat()},
            reasons=["missed_check_ins"],
        )
        self.case.event(
            "benefits_stopped",
            stop.decided_by,
            months=list(stop.months),
            effective_date=stop.effective_date.isoformat(),
        )
        self.case.spawn(
            self.case.notify_claimant(
                "benefits_stopped",
                "benefits_stopped",
                months=list(stop.months),
                effective_date=stop.effective_date,
                appeal=APPEAL_NOTICE_ZH,
            )
        )
        return "stopped"

    async def owe(self, ms: MonthState) -> None:
        """A month to pay (a stop event's too, for what was payable before its day) at the
        policy's amount on its first day, owed once (the ledger's key: case, month, category)
        at the amount first owed; local activities in one workflow task (MONTH_LOCAL_STEPS)."""
        if ms.owed:
            return
        step = self.case.local_step if workflow.patched(MONTH_LOCAL_STEPS) else self.case.activity
        priced = await step(
            AmountActivities.month_amount,
            MonthAmountInput(region_code=self.payee.region_code, on=ms.start),
        )
        ms.amount, ms.policy_version = priced.amount, priced.policy_version
        acct = self.payee.account
        obligation = ObligationInput(
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
        )
        if workflow.patched(OWED_AS_LEDGER):  # a month priced again (a policy reloaded meanwhile)
            ms.amount = (await step(LedgerActivities.owe_obligation, obligation)).amount
        else:  # a month owed by the code before: its price of this attempt
            await step(LedgerActivities.create_obligation, obligation)
        ms.owed = True
        self.case.event("payment_owed", None, month=ms.month, amount=str(ms.amount))

    def cancel_waiters(self) -> None:
        for waiter in self.waiters:
            waiter.cancel()
