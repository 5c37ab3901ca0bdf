"""Stage 9, transfers between pooling regions (DOMAIN.md stage 9; seed 000 范文1 §4.4; seed
002 Changchun text on 关系转移), asked by a clerk through an Update of the case:

- within the province (220100 → 220200): at once, the case continues in the destination with
  the same months; the medical relationship moves; the paying fund stays the source's;
- across provinces (220100 → 330100): the running month is cut short (its wait ends), the
  source counts the months it has not owed, prices them and the premium still owed at its
  own rates, writes both funds' ledger entries once (the money goes by its normal payment
  run, one bank transfer), starts the destination's case (a workflow ID from the source's,
  so a retry or a replay starts nothing twice) and closes `transferred_out`. The destination
  opens with a `transfer_in` task; on acceptance it continues the months at its own amount,
  enrols the claimant in its medical insurance and tops up a premium shortfall.

A month is never lost or paid twice: the source pays exactly the months it owed before the
transfer, the destination exactly the others, whatever crashes between the steps (each step
is an idempotent activity or a command in the history)."""

from __future__ import annotations

from datetime import date

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.transfers import TransferActivities
    from domain.transfers import TransferRefused, transfer_kind
    from payloads.case_io import ClaimInput, TransferRequest, TransferResult
    from payloads.case_state import (
        BenefitState,
        CaseState,
        MonthState,
        TransferIn,
        TransferState,
    )
    from payloads.errors import INVALID_OUTCOME, TASK_CLOSED
    from payloads.transfers import (
        MoveCoverageInput,
        TopUpInput,
        TransferLedgerInput,
        TransferPlanInput,
    )
    from workflows import ids
    from workflows.claim.benefit_months import MonthEnd
    from workflows.claim.check_ins import kept_in
    from workflows.claim.services import CaseServices


def destination_case_id(source_case_id: str, to_region_code: str) -> str:
    """The destination's case: one per source case and region (≤ 32 characters)."""
    return f"{source_case_id[:16]}-t{to_region_code}"


def months_to_move(benefit: BenefitState) -> list[MonthState]:
    """The months the source has not owed, from the running one on (an undecided miss is
    refused before: the clerk decides it first)."""
    return [m for m in benefit.months[benefit.current - 1 :] if not m.owed]


def carried(i: int, m: MonthState) -> MonthState:
    """Month `m` of the source as the destination's month `i`: a check-in the source accepted
    while the transfer ran (the month not owed: it moves) goes with it, the claimant's day."""
    if m.status == "checked_in" and not m.by_registration and m.check_in is not None:
        return MonthState(
            month=i, start=m.start, end=m.end, status="checked_in", check_in=m.check_in
        )
    return MonthState(month=i, start=m.start, end=m.end, status="open")


class TransferStage:
    def __init__(self, case: CaseServices, state: CaseState) -> None:
        self.case = case
        self.s = state
        self.handing_over = False  # move_out built the destination's months (not state)

    # ---- the source: the clerk's request (an Update) --------------------------------------

    def running(self) -> bool:
        t = self.s.transfer
        return t is not None and t.status == "requested"

    def validate(self, req: TransferRequest) -> None:
        s = self.s
        if s.status != "active" or s.benefit is None or s.benefit.stop is not None:
            raise ApplicationError(f"the case is {s.status}, not active", type=TASK_CLOSED)
        if self.running():
            raise ApplicationError("a transfer of this case is running", type=TASK_CLOSED)
        if self.case.tasks.open_ones("missed_check_in"):
            raise ApplicationError(
                "decide the case's missed check-ins before transferring it", type=TASK_CLOSED
            )
        try:
            transfer_kind(self.case.region_code, req.to_region_code)
        except TransferRefused as err:
            raise ApplicationError(str(err), err.field, type=INVALID_OUTCOME) from None

    def validate_check_in(self) -> None:
        """A check-in while the case is handed over to another province: its months are the
        destination's now (a check-in before this went with its month: carried)."""
        t = self.s.transfer
        if self.handing_over and t is not None:
            raise ApplicationError(
                f"the case is moving to {t.to_region_code}: check in at its new case",
                type=TASK_CLOSED,
            )

    async def request(self, req: TransferRequest) -> TransferResult:
        s = self.s
        assert s.benefit is not None
        src = self.case.region_code
        kind = transfer_kind(src, req.to_region_code)
        t = s.transfer = TransferState(
            to_region_code=req.to_region_code,
            kind=kind,
            requested_by=req.actor,
            requested_on=self.case.today(),
            from_region_code=src,
            months_left=len(months_to_move(s.benefit)),
        )
        self.case.event(
            "transfer_requested", req.actor, to_region_code=req.to_region_code, kind=kind
        )
        if kind == "in_province":
            await self._within_province(t)
        else:  # the run moves it out; answered once it is done (the next GET shows it)
            t.destination_case_id = destination_case_id(s.case_id, req.to_region_code)
            await workflow.wait_condition(lambda: t.status != "requested")
        return TransferResult(
            kind=kind,
            from_region_code=src,
            to_region_code=req.to_region_code,
            months_left=t.months_left,
            destination_case_id=t.destination_case_id,
        )

    async def _within_province(self, t: TransferState) -> None:
        s = self.s
        s.paying_region_code = s.paying_region_code or t.from_region_code
        if s.medical is not None and s.medical.enrolled:
            await self.case.activity(
                TransferActivities.move_coverage,
                MoveCoverageInput(
                    case_id=s.case_id, to_region_code=t.to_region_code, at=workflow.now()
                ),
            )
        s.region_code = t.to_region_code
        t.status = "done"
        self.case.event(
            "transferred",
            t.requested_by,
            kind=t.kind,
            from_region_code=t.from_region_code,
            to_region_code=t.to_region_code,
            months_left=t.months_left,
        )

    def settle_end(self, end: MonthEnd) -> MonthEnd:
        """A transfer asked while the month ended: it goes ahead, unless benefits stopped."""
        t = self.s.transfer
        if not self.cross_province_pending() or t is None:
            return end
        if end == "stopped":
            t.status = "done"
            self.case.event("transfer_cancelled", None, reason="benefits stopped")
            return end
        return "transferred"

    def cross_province_pending(self) -> bool:
        t = self.s.transfer
        return t is not None and t.kind == "cross_province" and t.status == "requested"

    # ---- the source: moving the case out (the run, after the month's wait was cut) --------

    async def move_out(self) -> date:
        """Price, book and hand over the months not owed; the day the cover stops."""
        s, t = self.s, self.s.transfer
        assert s.benefit is not None and t is not None and t.destination_case_id is not None
        months = months_to_move(s.benefit)
        t.months_left = len(months)
        on = t.requested_on
        payer = s.paying_region_code or t.from_region_code  # an earlier in-province move
        plan = await self.case.activity(
            TransferActivities.plan_transfer,
            TransferPlanInput(
                from_region_code=payer,
                to_region_code=t.to_region_code,
                on=on,
                months_left=len(months),
            ),
        )
        t.funds = plan.total
        if months:
            await self.case.activity(
                TransferActivities.record_transfer,
                TransferLedgerInput(
                    source_case_id=s.case_id,
                    destination_case_id=t.destination_case_id,
                    from_region_code=payer,
                    to_region_code=t.to_region_code,
                    on=on,
                    at=workflow.now(),
                    plan=plan,
                ),
            )
        # from here on the months are the destination's: a check-in accepted until now (the
        # transfer running) goes with its month; one asked later is refused (validate)
        self.handing_over = True
        destination = CaseState(
            case_id=t.destination_case_id,
            status="in_review",
            stage="review",
            region_code=t.to_region_code,
            intake=s.intake,
            early_check_ins=[],
            transfer_in=TransferIn(
                source_case_id=s.case_id,
                from_region_code=t.from_region_code,
                months=[carried(i, m) for i, m in enumerate(months, start=1)],
                premium=plan.premium,
                funds=plan.total,
            ),
        )
        await workflow.start_child_workflow(
            "ClaimWorkflow",
            ClaimInput(case_id=t.destination_case_id, state=destination),
            id=ids.case(t.destination_case_id),
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
        t.status = "done"
        self.case.event(
            "transferred_out",
            t.requested_by,
            to_region_code=t.to_region_code,
            to_case_id=t.destination_case_id,
            months_left=len(months),
            funds=str(plan.total),
        )
        return months[0].start if months else on

    # ---- the destination: the transfer_in task, then the months ----------------------------

    async def accept_in(self) -> BenefitState:
        s, tin = self.s, self.s.transfer_in
        assert tin is not None
        self.case.event(
            "transferred_in",
            None,
            from_region_code=tin.from_region_code,
            from_case_id=tin.source_case_id,
            months=len(tin.months),
            funds=str(tin.funds),
        )
        task_id = f"transfer_in-{s.case_id}"
        if task_id not in s.tasks:
            await self.case.open_task(
                "transfer_in",
                task_id,
                f"失业保险关系转入 / Transfer in from {tin.from_region_code}",
                from_case_id=tin.source_case_id,
                from_region_code=tin.from_region_code,
                months=len(tin.months),
            )
        done = await self.case.tasks.decided(task_id)
        tin.accepted_by, tin.accepted_on = done.actor, self.case.today()
        benefit = self._months_at(tin.accepted_on, kept_in(tin.months, s.early_check_ins))
        topup = await self.case.activity(
            TransferActivities.record_topup,
            TopUpInput(
                case_id=s.case_id,
                region_code=self.case.region_code,
                months=len(tin.months),
                transferred_premium=tin.premium,
                on=tin.accepted_on,
                at=workflow.now(),
            ),
        )
        self.case.event("transfer_accepted", done.actor, premium_topup=topup)
        return benefit

    @staticmethod
    def _months_at(on: date, months: list[MonthState]) -> BenefitState:
        """The moved months as the acceptance finds them: those ended meanwhile are not the
        claimant's miss (waived, paid), the one running on `on` current and checked in by the
        claimant's visit (as the registration checks month 1 in); a month checked in at the
        source while the transfer ran, or here before the acceptance (kept_in), keeps that
        check-in (paid, as checked in)."""
        current = len(months) + 1
        for i, ms in enumerate(months, start=1):
            carried_in = ms.status == "checked_in"  # checked in at the source (carried)
            if ms.end <= on:
                ms.status = "checked_in" if carried_in else "waived"
            elif current > len(months):
                current = i
                if ms.start <= on and not carried_in:
                    ms.status, ms.check_in, ms.by_registration = "checked_in", on, True
        return BenefitState(months=months, current=current)
