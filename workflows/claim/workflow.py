"""ClaimWorkflow: one unemployment-insurance case, `case-<case_id>`, from intake to its end.

It owns the case's state and the order of its stages: intake (workflows/claim/intake.py),
review (review.py), then the benefit months (benefit_months.py), one month per run: at each
month boundary the case continues as new carrying its state. Signals are served here, the
Updates in case_updates.py, each handed to the stage it belongs to; the read model is kept
current by a local activity whenever the case records events."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from activities.rules import RuleActivities
    from domain.task_data import TaskData
    from payloads.case_io import (
        CalendarChanged,
        ClaimInput,
        ClaimResult,
    )
    from payloads.case_state import CaseState, ClosureReason
    from payloads.payments import AppliedChange
    from payloads.records import SyncCaseInput
    from payloads.rules import CasePolicyInput
    from payloads.submissions import EmployerReport, Registration
    from payloads.tasks import CompleteTaskInput, TaskCompletion, TaskState
    from workflows.claim.benefit_months import BenefitMonths, MonthEnd, Payee, months_of
    from workflows.claim.case_updates import CaseUpdates
    from workflows.claim.check_ins import EarlyCheckIns
    from workflows.claim.deadlines import Deadlines
    from workflows.claim.intake import Intake
    from workflows.claim.medical import MedicalStage
    from workflows.claim.review import Review
    from workflows.claim.services import CaseServices
    from workflows.claim.stops import StopEvents
    from workflows.claim.transfer import TransferStage
    from workflows.system_errors import until_fixed

SYNC_TIMEOUT = timedelta(seconds=30)
# Issue 9 §2: Updates answer once the read model shows what they changed.


@workflow.defn
class ClaimWorkflow(CaseUpdates):
    @workflow.init
    def __init__(self, inp: ClaimInput) -> None:
        self.s = s = inp.state or CaseState(case_id=inp.case_id)
        self.case = CaseServices(s)
        self.tasks = self.case.tasks
        self.deadlines = Deadlines(self.case, s.deadlines)
        self.intake = Intake(self.case, s.intake, self.deadlines)
        self.review = Review(self.case, self.deadlines)
        self.transfer = TransferStage(self.case, s)
        self.months = self._benefit_months() if s.benefit is not None else None
        self.stops = self._stop_events() if self.months is not None else None
        carried = s.transfer_in.months if s.transfer_in is not None else None
        self.early_check_ins = EarlyCheckIns(self.case, s.intake, s.early_check_ins, carried)
        self.medical = MedicalStage(self.case, s.medical)
        self._syncing = False
        self._calendar_lock = asyncio.Lock()  # one recomputation at a time

    # ---- signals, updates, queries -------------------------------------------------------

    @workflow.signal
    def submit_employer_report(self, report: EmployerReport) -> None:
        self.intake.receive_report(report)

    @workflow.signal
    def submit_registration(self, registration: Registration) -> None:
        self.intake.receive_registration(registration)

    @workflow.signal
    async def calendar_changed(self, change: CalendarChanged) -> None:
        """An admin loaded a year's holiday schedule: provisional deadlines in it recompute."""
        async with self._calendar_lock:
            await self.deadlines.recompute(change)

    @workflow.signal
    def payment_update(self, change: AppliedChange) -> None:
        """A payment of this case was settled or returned by the bank. The payment activities
        tell the case at least once (a retry after a crash tells it again): one event each."""
        key = f"{change.end_to_end_id}:{change.status}"
        if key in self.s.payment_updates:
            return
        self.s.payment_updates.append(key)
        self.case.event(
            f"payment_{change.status}",
            "bank",
            month=change.month,
            end_to_end_id=change.end_to_end_id,
            reason=change.reason,
        )

    # complete_task (the human-task Update) comes from TaskOwner; the checks that need the
    # case's state are the stages':
    def check_task_data(self, task: TaskState, data: TaskData, inp: CompleteTaskInput) -> None:
        if task.kind == "review_claim":
            self.review.check_task_data(self.s.review, task, data, inp)
        elif task.kind in ("employer_report_overdue", "separation_date_mismatch"):
            self.intake.check_task_data(task, data, inp)

    def task_completed(self, done: TaskCompletion) -> None:
        self.case.event(
            "task_completed",
            done.actor,
            task_id=done.task_id,
            kind=done.kind,
            outcome=done.outcome,
            reason=done.reason,
        )

    @workflow.query
    def state(self) -> CaseState:
        return self.s

    # ---- the stages in order ---------------------------------------------------------------

    @workflow.run
    async def run(self, inp: ClaimInput) -> ClaimResult:
        s = self.s
        syncer = asyncio.create_task(self._sync_loop())
        if self.months is not None:  # continued as new at a month boundary
            self.tasks.resume()
            self.months.resume()
            assert self.stops is not None
            self.stops.resume()
        elif s.transfer_in is not None:
            await self._transferred_in()
        else:
            await self._until_benefits()
        if self.months is not None and s.stage == "benefits":
            end = self.transfer.settle_end(await self.months.run_month())
            if end == "transferred":
                cover_until = await self.transfer.move_out()
                self.case.enter("closed")
                self.case.set_status("transferred_out", "transferred")
                await self.medical.stop(cover_until, "transferred")
            elif end == "next":
                await self._settle()
                syncer.cancel()
                workflow.continue_as_new(ClaimInput(case_id=s.case_id, state=s))
            else:
                closure = None
                if end == "stopped" and self.stops is not None and self.stops.state.event:
                    closure = await self.stops.settle()
                self._close_benefits(end, closure)
                await self.medical.stop(self._benefit_end(end), s.closure_reason or end)
        await self._settle()
        syncer.cancel()
        return ClaimResult(case_id=s.case_id, status=s.status, closure_reason=s.closure_reason)

    async def _until_benefits(self) -> None:
        """Intake and review; the case leaves here closed or with its benefit months."""
        s = self.s
        await workflow.wait_condition(self.intake.arrived)
        s.opened_at = workflow.now()
        self.case.event("case_opened", None)
        s.policy = await self.case.activity(
            RuleActivities.case_policy,
            CasePolicyInput(region_code=self.case.region_code, on=self.intake.separation_date()),
        )
        if not await self.intake.run():
            return
        registration, registered_on = self.intake.registration()
        s.review = await self.review.start(self.intake.facts(), registration, registered_on)
        entitlement = await self.review.decide(s.review)
        if entitlement is not None:
            s.benefit = months_of(entitlement, s.early_check_ins, self.case.today())
            self.months = self._benefit_months()
            self.stops = self._stop_events()
            self.months.opened()
            if self.medical.starts():
                s.medical = await self.medical.enrol(entitlement.start_date, registration)

    async def _transferred_in(self) -> None:
        """The destination of a cross-province transfer: its clerks accept, then the moved
        months continue here at this region's amount, with its medical insurance."""
        s = self.s
        s.opened_at = workflow.now()
        self.case.event("case_opened", None)
        s.policy = await self.case.activity(
            RuleActivities.case_policy,
            CasePolicyInput(region_code=self.case.region_code, on=self.case.today()),
        )
        s.benefit = await self.transfer.accept_in()
        self.months = self._benefit_months()
        self.stops = self._stop_events()
        self.case.enter("benefits")
        self.case.set_status("active")
        registration, _ = self.intake.registration()
        if s.benefit.months:
            s.medical = await self.medical.enrol(s.benefit.months[0].start, registration)

    def _benefit_months(self) -> BenefitMonths:
        s = self.s
        assert s.benefit is not None
        registration, _ = self.intake.registration()
        payee = Payee(
            region_code=s.paying_region_code or self.case.region_code,
            account=registration.bank_account,
        )
        return BenefitMonths(self.case, s.benefit, payee, self.transfer.cross_province_pending)

    def _stop_events(self) -> StopEvents:
        assert self.s.benefit is not None and self.months is not None
        return StopEvents(self.case, self.s.benefit, self.months.payee, self.months.owe)

    def _close_benefits(self, end: MonthEnd, closure: ClosureReason | None = None) -> None:
        self.case.enter("closed")
        if end == "stopped":
            self.case.set_status("stopped", closure or "missed_check_ins")
        else:
            self.case.set_status("exhausted", "entitlement_exhausted")

    def _benefit_end(self, end: MonthEnd) -> date:
        """The first day without benefit: the stop's effective day, or the last month's end."""
        b = self.s.benefit
        assert b is not None
        if end == "stopped" and b.stop is not None:
            return b.stop.effective_date
        if end == "stopped" and b.event is not None:  # a stop event (workflows/claim/stops.py)
            return b.event.effective_date
        return b.months[-1].end

    async def _settle(self) -> None:
        """Before finishing or continuing as new: nothing in flight, the read model current."""
        self.tasks.cancel_watchers()
        if self.months is not None:
            self.months.cancel_waiters()
        if self.stops is not None:
            self.stops.cancel_waiters()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self.case.background)
        await workflow.wait_condition(lambda: not self.s.unsynced_events and not self._syncing)

    async def _sync_loop(self) -> None:
        """Keep the read model current: push the state whenever new events are pending. A
        local activity: run by this worker inside the workflow task (no activity task, no copy
        of the state in the history); sync_case is idempotent (rows keyed by case and seq)."""
        s = self.s
        rows = self.tasks.rows_in_flight
        # case-local-writes: a task row being opened or closed in this workflow task (a local
        # activity) is waited for, so that its event (task_opened) goes in the same sync as
        # the one before it (check_in_missed): one sync of the state instead of two
        together = self.case.local_writes
        while True:
            await workflow.wait_condition(
                lambda: bool(s.unsynced_events) and not (together and not rows.idle)
            )
            last = s.unsynced_events[-1].seq
            self._syncing = True
            try:
                await until_fixed(
                    self.tasks,
                    "sync_case",
                    lambda: workflow.execute_local_activity_method(
                        CaseActivities.sync_case,
                        SyncCaseInput(state=s, at=workflow.now()),
                        start_to_close_timeout=SYNC_TIMEOUT,
                    ),
                )
            finally:
                self._syncing = False
            s.unsynced_events = [e for e in s.unsynced_events if e.seq > last]
