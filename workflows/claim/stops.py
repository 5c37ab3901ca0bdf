"""Stop events (issue 11 §1-3; DOMAIN.md "Benefit months", stages 7-11; rules in
domain/stops.py): the `report_event` Update, a reviewer's confirmation of each refused offer
(the first warns, the second stops: seed 000 art. 26(4), 条例 art. 15), and the settlement of
a stop: the month containing the effective day paid pro rata, the later months not paid,
obligations not yet gone out cancelled, money paid beyond the day recorded as an overpayment,
a stop notice; then for a death the funeral grant and survivor pension (art. 23) and for
self-employment the lump sum (art. 35), each after a reviewer's approval.

Reads: the benefit months and the payee (benefit_months.py). Keeps: BenefitState.event and
BenefitState.refusals. Serves: the `report_event` Update while the benefit months run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.stops import StopActivities
    from domain.review import APPEAL_NOTICE_ZH
    from domain.stops import (
        REFUSALS_TO_STOP,
        STOP_LABELS_ZH,
        STOP_TYPES,
        date_problem,
        remaining_months,
    )
    from payloads.case_state import BenefitState, ClosureReason, MonthState
    from payloads.errors import TASK_CLOSED
    from payloads.stops import (
        OverpaymentInput,
        Refusal,
        SettleStopInput,
        StopEvent,
        StopEventInput,
        StopEventResult,
    )
    from workflows.claim.benefit_months import PAYABLE, Payee
    from workflows.claim.grants import Grants, check_death, check_licence, invalid, terms_of
    from workflows.claim.services import CaseServices


class StopEvents:
    def __init__(
        self,
        case: CaseServices,
        state: BenefitState,
        payee: Payee,
        owe: Callable[[MonthState], Awaitable[None]],
    ) -> None:
        self.case = case
        self.state = state
        self.payee = payee
        self.owe = owe
        self.waiters: list[asyncio.Task[None]] = []

    # ---- the Update --------------------------------------------------------------------

    def validate(self, inp: StopEventInput) -> None:
        """Refuse before anything changes: 409 for the case's state, 422 naming the field."""
        b = self.state
        if self.case.closed:
            raise ApplicationError("the case is closed", type=TASK_CLOSED)
        if inp.type not in STOP_TYPES:
            raise invalid(f"no stop event type {inp.type!r}", "type")
        if b.event is not None or b.stop is not None:
            raise ApplicationError("the case already has a stop recorded", type=TASK_CLOSED)
        if any(r.status == "pending" for r in b.refusals) and inp.type == "refused_offer":
            raise ApplicationError(
                "a refused offer awaits the reviewer's confirmation", type=TASK_CLOSED
            )
        problem = date_problem(
            inp.effective_date, b.months[0].start, self.case.today(), terms_of(self.case.policy)
        )
        if problem:
            raise invalid(problem, "effective_date")
        data = inp.data
        if not data.evidence.strip():
            raise invalid("name the evidence (a document reference)", "data.evidence")
        if inp.type == "died":
            check_death(inp.data)
        if inp.type == "self_employed":
            check_licence(data)
            if not self._remaining(inp.effective_date):
                raise invalid(
                    f"no benefit month is left from {inp.effective_date} (nothing to pay at once)",
                    "effective_date",
                )

    async def report(self, inp: StopEventInput) -> StopEventResult:
        b = self.state
        if inp.type == "refused_offer":
            n = len([r for r in b.refusals if r.status == "confirmed"]) + 1
            key = f"refused_offer_review-{self.case.case_id}-{len(b.refusals) + 1}"
            refusal = Refusal(
                n=n,
                effective_date=inp.effective_date,
                data=inp.data,
                reported_by=inp.actor,
                task_id=key,
            )
            b.refusals.append(refusal)
            self.case.event(
                "offer_refusal_reported",
                inp.actor,
                effective_date=inp.effective_date.isoformat(),
                evidence=inp.data.evidence,
            )
            await self.case.open_task(
                "refused_offer_review",
                key,
                "拒绝介绍就业待确认 / Refused job or training offer to confirm",
                effective_date=inp.effective_date.isoformat(),
                evidence=inp.data.evidence,
                refusal=n,
            )
            self.waiters.append(asyncio.create_task(self._await_refusal(refusal)))
            return StopEventResult(
                type=inp.type, effective_date=inp.effective_date, status="awaiting_confirmation"
            )
        b.event = StopEvent(
            type=inp.type,
            effective_date=inp.effective_date,
            data=inp.data,
            reported_by=inp.actor,
            reported_at=workflow.now(),
        )
        self.case.event(
            "stop_event_reported",
            inp.actor,
            type=inp.type,
            effective_date=inp.effective_date.isoformat(),
            evidence=inp.data.evidence,
        )
        return StopEventResult(type=inp.type, effective_date=inp.effective_date, status="stopping")

    # ---- refused offers ------------------------------------------------------------------

    def resume(self) -> None:
        """After continue-as-new: wait again for the refusals still to confirm."""
        for r in self.state.refusals:
            if r.status == "pending":
                self.waiters.append(asyncio.create_task(self._await_refusal(r)))

    def cancel_waiters(self) -> None:
        for waiter in self.waiters:
            waiter.cancel()

    async def _await_refusal(self, refusal: Refusal) -> None:
        done = await self.case.tasks.decided(refusal.task_id)
        b = self.state
        if done.outcome != "confirm":
            refusal.status = "rejected"
            self.case.event("offer_refusal_not_confirmed", done.actor, reason=done.reason)
            return
        refusal.status = "confirmed"
        confirmed = len([r for r in b.refusals if r.status == "confirmed"])
        self.case.event("offer_refusal_confirmed", done.actor, refusal=confirmed)
        if confirmed >= REFUSALS_TO_STOP:
            if b.event is None and b.stop is None and not self.case.closed:
                b.event = StopEvent(
                    type="refused_offer",
                    effective_date=refusal.effective_date,
                    data=refusal.data,
                    reported_by=done.actor,
                    reported_at=workflow.now(),
                )
            return
        self.case.spawn(self._warn(refusal, done.actor, confirmed))

    async def _warn(self, refusal: Refusal, actor: str, confirmed: int) -> None:
        """The first confirmed refusal: kept as evidence, the claimant warned (a notice)."""
        await self.case.determine(
            "refused_offer_warning",
            "warned",
            actor,
            self.case.policy.policy_version,
            inputs={
                "effective_date": refusal.effective_date.isoformat(),
                "evidence": refusal.data.evidence,
                "reported_by": refusal.reported_by,
            },
            result={"refusals": confirmed},
            reasons=["refused_offer"],
        )
        await self.case.notify_claimant(
            "refusal_warning",
            "refusal_warning",
            effective_date=refusal.effective_date,
            appeal=APPEAL_NOTICE_ZH,
        )

    # ---- the stop ------------------------------------------------------------------------

    def _remaining(self, effective: date) -> list[int]:
        return remaining_months(
            [(m.month, m.start) for m in self.state.months if not m.owed], effective
        )

    async def settle(self) -> ClosureReason:
        """Settle the ledger, keep the stop as evidence, tell the claimant; then the death
        grants or the lump sum once a reviewer approves. The case is closed from the stop."""
        ev = self.state.event
        assert ev is not None
        policy = self.case.policy
        d = ev.effective_date
        remaining = self._remaining(d)
        self.cancel_waiters()  # a refusal still to confirm no longer matters
        for task in self.case.tasks.open_ones("refused_offer_review"):
            await self.case.tasks.close_by_system(
                task.task_id, "case_stopped", f"benefits stopped ({ev.type}): not judged"
            )
        for ms in self.state.months:  # what was payable before the day is owed first
            if ms.start < d and not ms.owed and (ms.status in PAYABLE or ms.status == "open"):
                await self.owe(ms)
        actor = ev.reported_by
        res = await self.case.activity(
            StopActivities.settle_stop,
            SettleStopInput(
                key=f"{self.case.case_id}:stop_event",
                case_id=self.case.case_id,
                type=ev.type,
                effective_date=d,
                proration=policy.proration,
                rounding=policy.rounding,
                actor=actor,
                at=workflow.now(),
                policy_version=policy.policy_version,
                evidence=ev.data.evidence,
            ),
        )
        ev.status, ev.overpayment, ev.last_paid_day = "settled", res.overpayment, res.last_paid_day
        self.case.event("determination", actor, kind="stop_event", outcome="stopped")
        overpaid_months = [int(m["month"]) for m in res.months if m["action"] == "overpaid"]
        if res.overpayment > 0:
            await self.case.activity(
                StopActivities.record_overpayment,
                OverpaymentInput(
                    case_id=self.case.case_id,
                    amount=res.overpayment,
                    cause="late_stop_event",
                    key=f"{self.case.case_id}:overpayment:stop_event",
                    at=workflow.now(),
                    months=overpaid_months,
                    evidence=ev.data.evidence,
                ),
            )
        last = res.last_paid_day.isoformat() if res.last_paid_day else None
        self.case.event(
            "benefits_stopped",
            actor,
            type=ev.type,
            effective_date=d.isoformat(),
            last_paid_day=last,
            overpayment=f"{res.overpayment:.2f}",
            cancelled=[int(m["month"]) for m in res.months if m["action"] == "cancel"],
        )
        self.case.enter("closed")
        self.case.set_status("stopped", ev.type)  # type: ignore[arg-type]
        self.case.spawn(
            self.case.notify_claimant(
                "stop_event",
                "stop_event",
                type=ev.type,
                reason_zh=STOP_LABELS_ZH[ev.type],
                effective_date=d,
                last_paid_day=last,
                overpayment=f"{res.overpayment:.2f}",
                appeal=APPEAL_NOTICE_ZH,
            )
        )
        if ev.type == "died":
            await Grants(self.case, self.payee).pay_death_grants(ev)
        elif ev.type == "self_employed":
            await Grants(self.case, self.payee).pay_lump_sum(ev, len(remaining))
        ev.status = "closed" if ev.status == "settled" else ev.status
        return ev.type  # type: ignore[return-value]
