"""PaymentRunWorkflow: one credit-transfer run `payment-run-<run_id>` (DOMAIN.md "Money").

Gather the region's pending obligations, have finance release them (a second, different
finance user approves a run above the policy amount, or one holding a payment re-issued to a
changed payee whatever its total: four eyes, workflows/payment_release.py), submit one
pain.001 to the bank (retried with backoff; finance is told if the bank stays down past the
policy limit), then apply the bank's per-transaction statuses (a signed report kept by the
webhook, polling as the fallback from when the bank can first have booked the run; no
unsigned way in). A returned payment becomes a `payment_returned` task: re-issue to a
corrected account as a new transaction of the same obligation, or cancel with a reason.

The ledger (the `payments` rows of the run) holds the outstanding transactions, not this
workflow: submission and each batch of statuses answer counts and the returns only (a run of
100,000 fits Temporal's payload and history limits), the activities tell the cases, and the
run is finished when the ledger has none left waiting (a run that saw no return asks the
ledger for missed ones and records itself completed in one activity).

Since `RUN_LOCAL_STEPS` (issue 9 §8) the short database steps — gather_run, set_run_status,
the ledger's last look (complete_unless_returned or returns_awaiting_decision) and the run's
own task rows (open_task, close_task: HumanTasks' `local_writes`) — are local activities
(workflows/local_steps.py) inside the workflow task that reaches them, so steps in a row share
it: the first gathers and opens the release task; finance's Update closes it, records
`released` and submits; the ledger's last look and `completed` end the task the final
statuses came in. The bank calls (submit_run, poll_run, apply_report: HTTP, long retries)
stay activity tasks. A run released and settled by one report or poll without a return has
6 workflow tasks (11 before), one with a return re-issued 9 (15; tests/histories/payment_run/
*_local_steps). Runs started before the patch keep their path."""

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError
from temporalio.workflow import ChildWorkflowHandle

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from domain.task_data import TaskData
    from payloads.payments import (
        AppliedChange,
        ApplyReportInput,
        ApplyResult,
        GatherInput,
        PaymentRunInput,
        PaymentRunStatus,
        ReturnsInput,
        RunInput,
        RunStatusInput,
        StatusReportRef,
    )
    from payloads.tasks import CompleteTaskInput, TaskState
    from workflows import ids
    from workflows.bank_polls import PollSchedule
    from workflows.human_tasks import HumanTasks, TaskOwner
    from workflows.local_steps import local
    from workflows.payment_release import Release
    from workflows.payment_returns import PaymentReturnsWorkflow, reissue_of
    from workflows.payment_submission import Submission
    from workflows.system_errors import until_fixed

RETURNS_CHILD = "returns-child"  # workflow.patched: returns in PaymentReturnsWorkflow
COMPLETE_AT_ONCE = "complete-at-once"  # workflow.patched: complete_unless_returned, not two
RUN_LOCAL_STEPS = "run-local-steps"  # workflow.patched: the short ledger/worklist steps local
SHORT = timedelta(seconds=30)
HEARTBEAT = timedelta(minutes=2)  # long activities heartbeat per page of statuses
A = TypeVar("A")
R = TypeVar("R")


@workflow.defn
class PaymentRunWorkflow(TaskOwner):
    @workflow.init
    def __init__(self, inp: PaymentRunInput) -> None:
        self.inp = inp
        self.st = PaymentRunStatus(run_id=inp.run_id, status="gathering")
        self.task_states: dict[str, TaskState] = {}
        self.local = workflow.patched(RUN_LOCAL_STEPS)
        self.tasks = HumanTasks(
            workflow.info().workflow_id, None, self.task_states, local_writes=self.local
        )
        self.release = Release(self.tasks, self.st, self._set)
        self.reports: list[StatusReportRef] = []
        self.decisions: list[asyncio.Task[None]] = []
        # patched "returns-child": returns handed to PaymentReturnsWorkflow a page at a time
        # (bounded history) instead of a coroutine and its events each in this run
        self.bulk_returns = False
        self.handover: list[AppliedChange] = []
        self.returns: ChildWorkflowHandle[PaymentReturnsWorkflow, int] | None = None

    @workflow.signal
    def bank_report(self, ref: StatusReportRef) -> None:
        """A status report from the bank's webhook, verified and kept by the API."""
        self.reports.append(ref)

    @workflow.query
    def state(self) -> PaymentRunStatus:
        return self.st

    @workflow.run
    async def run(self, inp: PaymentRunInput) -> PaymentRunStatus:
        st = self.st
        self.bulk_returns = workflow.patched(RETURNS_CHILD)
        st.summary = summary = await until_fixed(
            self.tasks,
            "gather_run",
            lambda: self._ledger(
                PaymentActivities.gather_run,
                GatherInput(inp.run_id, inp.region_code, inp.cutoff, workflow.now()),
            ),
        )
        if summary.count == 0:
            st.status = "empty"
            return st
        submission = Submission(self.tasks, self.st, summary)
        if not await self.release.granted(summary) or not await submission.sent():
            await self._set("held")
        else:
            await self._settle(submission.booked_from)
            if st.status != "completed":  # not recorded by complete_unless_returned
                await self._set("completed")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return st

    async def _settle(self, booked_from: datetime | None) -> None:
        """Apply statuses until the ledger has none of the run waiting, then ask the ledger
        for returns no apply reported (an apply that recorded them and failed before it
        answered is retried and sees no change), and wait for finance's decisions. The
        webhook first, polls as workflows/bank_polls.py schedules them."""
        st, polls = self.st, PollSchedule(booked_from)
        while st.outstanding_count > 0:
            try:
                await workflow.wait_condition(lambda: bool(self.reports), timeout=polls.wait())
            except TimeoutError:
                await self._poll()
                polls.polled()
                continue
            reports, self.reports = self.reports, []
            for ref in reports:
                await self._apply_report(ref)
            await self._hand_over()
            polls.reported()
        missed = await self._returns_awaiting_decision()
        self._took(ApplyResult(returned=missed, outstanding=st.outstanding_count))
        await asyncio.gather(*self.decisions)
        await self._hand_over()
        if self.returns is not None:  # every return reported: wait for finance's decisions
            await self.returns.signal(PaymentReturnsWorkflow.reported_all)
            await self.returns

    async def _returns_awaiting_decision(self) -> list[AppliedChange]:
        """The ledger's returns awaiting a decision; a run that saw none asks by an activity
        that records it completed too when the ledger has none either (patched)."""
        seen = self.st.returned or self.decisions or self.handover or self.returns
        at_once = not seen and workflow.patched(COMPLETE_AT_ONCE)
        missed = await self._ledger(
            PaymentActivities.complete_unless_returned
            if at_once
            else PaymentActivities.returns_awaiting_decision,
            RunInput(self.st.run_id, workflow.now()),
        )
        if at_once and not missed:
            self.st.status = "completed"
        return missed

    async def _hand_over(self) -> None:
        """The returns reported since the last call to the returns' workflow (started with
        the first), one signal a page."""
        if not self.handover:
            return
        page, self.handover = self.handover, []
        if self.returns is None:
            self.returns = await workflow.start_child_workflow(
                PaymentReturnsWorkflow.run,
                ReturnsInput(run_id=self.st.run_id, queued=page),
                id=ids.payment_returns(self.st.run_id),
            )
        else:
            await self.returns.signal(PaymentReturnsWorkflow.returned, page)

    async def _poll(self) -> None:
        more = True
        while more:  # a poll applies at the activity: counts back, returns paged
            # an answer that is not the bank's (signature, window, nonce) fails permanently:
            # a system_error task, not an endless retry
            polled = await until_fixed(
                self.tasks,
                "poll_run",
                lambda: workflow.execute_activity_method(
                    PaymentActivities.poll_run,
                    RunInput(self.st.run_id, workflow.now()),
                    start_to_close_timeout=timedelta(minutes=10),
                    heartbeat_timeout=HEARTBEAT,
                ),
            )
            more = polled.more
            if polled.outstanding >= 0:  # -1: the bank does not know the run (yet)
                self._took(polled)

    async def _apply_report(self, ref: StatusReportRef) -> None:
        more = True
        while more:  # returns come back a page at a time; applied statuses change nothing
            try:
                result = await workflow.execute_activity_method(
                    PaymentActivities.apply_report,
                    ApplyReportInput(self.st.run_id, ref.report_id, workflow.now()),
                    start_to_close_timeout=timedelta(minutes=10),
                    heartbeat_timeout=HEARTBEAT,
                )
            except ActivityError as err:  # the kept report cannot be read: ask the bank instead
                workflow.logger.warning("report %s not applied (%s): polling", ref.report_id, err)
                await self._poll()
                return
            more = result.more
            self._took(result)

    def _took(self, result: ApplyResult) -> None:
        st = self.st
        st.settled_count += result.settled
        st.outstanding_count = result.outstanding
        for ch in result.returned:
            if ch.end_to_end_id in st.returned:  # reported again (a retried apply)
                continue
            st.returned.append(ch.end_to_end_id)
            if self.bulk_returns:
                self.handover.append(ch)
            else:  # a run started before the patch: as it was recorded
                self.decisions.append(asyncio.create_task(self._returned(ch)))

    async def _returned(self, ch: AppliedChange) -> None:
        task = await self.tasks.open(
            "payment_returned",
            task_id=f"payment_returned-{ch.end_to_end_id}",
            title=f"代发退回 / Payment returned ({ch.reason}): {ch.end_to_end_id}",
            details={"case_id": ch.case_id, "month": ch.month, "reason": ch.reason},
        )
        done = await self.tasks.decided(task.task_id)
        decided = reissue_of(ch.end_to_end_id, done, workflow.now())
        await until_fixed(
            self.tasks,
            "reissue_or_cancel",
            lambda: workflow.execute_activity_method(
                PaymentActivities.reissue_or_cancel, decided, start_to_close_timeout=SHORT
            ),
        )

    async def _set(self, status: str, **who: str) -> None:
        """Record the run's status in the ledger, then show it (the query follows the row)."""
        await self._ledger(
            PaymentActivities.set_run_status,
            RunStatusInput(self.st.run_id, status, workflow.now(), **who),
        )
        self.st.status = status

    async def _ledger(self, method: Callable[[PaymentActivities, A], R], arg: A) -> R:
        """A short database step: a local activity since `run-local-steps`, inside the
        workflow task that reached it; an activity task before."""
        if self.local:
            result: R = await local(method, arg)
            return result
        return await workflow.execute_activity_method(method, arg, start_to_close_timeout=SHORT)

    def check_task_data(self, task: TaskState, data: TaskData, inp: CompleteTaskInput) -> None:
        self.release.check(task, inp)
