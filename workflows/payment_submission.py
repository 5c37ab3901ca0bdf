"""Submitting a payment run's pain.001 (workflows/payment_run.py): retried with backoff while
the bank is down (finance is told past the policy limit, retries go on); a bank that refuses
the message, or a message the ledger's data cannot make, is no outage: a `bank_rejected` task
for finance with the error, who resubmit once its cause is fixed, or hold the run."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from payloads.payments import PaymentRunStatus, RunInput, RunSummary, SubmitResult
    from workflows import ids
    from workflows.human_tasks import HumanTasks
    from workflows.reconciliation import DailyReconciliationWorkflow
    from workflows.system_errors import permanent_failure

TELL_RECONCILIATION = "tell-reconciliation"  # workflow.patched: the daily reconciliation told
SUBMIT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)


class Submission:
    def __init__(self, tasks: HumanTasks, st: PaymentRunStatus, summary: RunSummary) -> None:
        self.tasks = tasks
        self.st = st
        self.summary = summary
        # when the bank can first have booked the run (the submission's answer; None from
        # one recorded before it said): the first fallback poll
        self.booked_from: datetime | None = None

    async def sent(self) -> bool:
        """True once the bank has the run; False when finance holds it after a refusal."""
        st = self.st
        while True:
            st.status = "submitting"
            try:
                sent = await self._submit()
            except ActivityError as err:
                failure = permanent_failure(err)
                if failure is None:
                    raise
                if not await self._resubmit(failure):
                    return False
                continue
            st.outstanding_count = sent.outstanding
            self.booked_from = sent.booked_from
            st.status = "submitted"
            if workflow.patched(TELL_RECONCILIATION):
                await self._tell_reconciliation()
            return True

    async def _tell_reconciliation(self) -> None:
        """The daily reconciliation matches every morning while payments are at the bank
        (workflows/reconciliation.py); none running (tests of a run alone): nothing to tell."""
        daily = workflow.get_external_workflow_handle(ids.DAILY_RECONCILIATION)
        try:
            await daily.signal(DailyReconciliationWorkflow.payments_sent)
        except FailureError:
            workflow.logger.info("no daily reconciliation to tell of run %s", self.st.run_id)

    async def _submit(self) -> SubmitResult:
        st, summary = self.st, self.summary
        submit = workflow.start_activity_method(
            PaymentActivities.submit_run,
            RunInput(st.run_id, workflow.now()),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=SUBMIT_RETRY,
        )
        limit = timedelta(hours=summary.bank_alert_hours).total_seconds()
        done, _ = await workflow.wait([submit], timeout=limit)
        if not done:
            await self.tasks.open(
                "bank_unavailable",
                task_id=f"bank_unavailable-{st.run_id}",
                title=f"银行接口不可用 / Bank unavailable for run {st.run_id}",
                details={"since_hours": summary.bank_alert_hours},
            )
        return await submit

    async def _resubmit(self, failure: ApplicationError) -> bool:
        """Finance decides on a refused submission: True to submit again."""
        st = self.st
        n = 1 + len(self.tasks.of_kind("bank_rejected"))
        task = await self.tasks.open(
            "bank_rejected",
            task_id=f"bank_rejected-{st.run_id}-{n}",
            title=f"银行拒收代发报文 / The bank refused run {st.run_id}",
            details={"error_type": failure.type, "error": failure.message},
        )
        st.status = "refused"
        done = await self.tasks.decided(task.task_id)
        return done.outcome == "resubmit"
