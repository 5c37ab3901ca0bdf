"""MedicalDeclarationWorkflow: a region's monthly declaration to the medical-insurance agency,
`medical-declaration-<region>-<YYYYMM>` (DOMAIN.md stage 6; seed 000 范文1 §4.2).

Assemble the month's batch from the coverage rows (one batch per region and month, never one
call per case), declare it (retried with backoff; past the policy's limit finance gets a
`medical_agency_down` task, closed by the system once the agency answers), take the answer at
once or later (the API's signed webhook signals it; polling is the fallback), apply it (the
premiums go on the ledger), then the follow-ups: a clerk task per case whose lines the agency
rejected (re-declare them in a batch of their own, or withdraw them), and for each duplicate
premium a refund to approve by two different people (初审, 复审).

Assembling the batch and applying the answer touch only our database: local activities
(workflows/local_steps.py) in the workflow task that reaches them (DECLARATION_LOCAL_STEPS),
activities before. Declaring and polling talk to the agency over HTTP and stay activities."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.medical_agency import MedicalAgencyActivities
    from activities.medical_batches import MedicalBatchActivities
    from activities.medical_ledger import MedicalLedgerActivities
    from domain.task_data import TaskData
    from payloads.errors import FORBIDDEN
    from payloads.medical import (
        AgencyAnswerRef,
        AppliedAnswer,
        AssembleInput,
        BatchInput,
        BatchSummary,
        DeclarationStatus,
        MedicalDeclarationInput,
        RedeclareInput,
        RefundDecisionInput,
        RefundRef,
        RejectedCase,
        WithdrawInput,
    )
    from payloads.tasks import CompleteTaskInput, Detail, TaskState
    from workflows.human_tasks import HumanTasks, TaskOwner
    from workflows.local_steps import local
    from workflows.system_errors import until_fixed

SHORT = timedelta(seconds=30)
BATCH_STEP = timedelta(minutes=5)  # a batch grows with the region's cases
ANSWER_REFUSED_TASK = "medical-answer-refused-task"  # workflow.patched
# workflow.patched: assemble_batch and apply_answer as local activities
DECLARATION_LOCAL_STEPS = "declaration-local-steps"
POLL_EVERY = timedelta(hours=6)
DECLARE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(hours=1),
)


@workflow.defn
class MedicalDeclarationWorkflow(TaskOwner):
    @workflow.init
    def __init__(self, inp: MedicalDeclarationInput) -> None:
        self.st = DeclarationStatus(region_code=inp.region_code, month=inp.month)
        self.task_states: dict[str, TaskState] = {}
        self.tasks = HumanTasks(workflow.info().workflow_id, None, self.task_states)
        self.answered: set[str] = set()  # batches whose answer the API kept (webhook)
        self.first_reviewers: dict[str, str] = {}  # refund end-to-end ID -> 初审 actor
        self.follow_ups: list[asyncio.Task[None]] = []
        self.redeclarations = 0
        self.local_steps = False  # DECLARATION_LOCAL_STEPS, settled when the run starts

    @workflow.signal
    def agency_answer(self, ref: AgencyAnswerRef) -> None:
        """The agency's late answer to a batch, verified and kept by the API."""
        self.answered.add(ref.batch_key)

    @workflow.query
    def state(self) -> DeclarationStatus:
        return self.st

    @workflow.run
    async def run(self, inp: MedicalDeclarationInput) -> DeclarationStatus:
        st = self.st
        self.local_steps = workflow.patched(DECLARATION_LOCAL_STEPS)
        assemble = AssembleInput(
            inp.region_code, inp.month, workflow.info().workflow_id, workflow.now()
        )
        batch: BatchSummary
        if self.local_steps:
            batch = await local(MedicalBatchActivities.assemble_batch, assemble, BATCH_STEP)
        else:
            batch = await workflow.execute_activity_method(
                MedicalBatchActivities.assemble_batch,
                assemble,
                start_to_close_timeout=timedelta(minutes=5),
            )
        st.cash_premiums = batch.cash_premiums
        if batch.lines == 0:
            st.status = "empty"
            return st
        await self._declare(batch)
        st.status = "following_up" if self.follow_ups else "done"
        while self.follow_ups:  # a follow-up may add more (a re-declaration's own rejections)
            running, self.follow_ups = self.follow_ups, []
            await asyncio.gather(*running)
        st.status = "done"
        await workflow.wait_condition(workflow.all_handlers_finished)
        return st

    async def _declare(self, batch: BatchSummary) -> None:
        """Declare, wait for the answer, apply it, and start its follow-ups."""
        st, key = self.st, batch.batch_key
        st.batches.append(key)
        st.status = "declaring"
        declaring = workflow.start_activity_method(
            MedicalAgencyActivities.declare_batch,
            BatchInput(key, workflow.now()),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=DECLARE_RETRY,
        )
        limit = timedelta(hours=batch.alert_hours).total_seconds()
        done, _ = await workflow.wait([declaring], timeout=limit)
        alert: TaskState | None = None
        if not done:
            alert = await self.tasks.open(
                "medical_agency_down",
                task_id=f"medical_agency_down-{key}",
                title=f"医保经办机构不可用 / Medical agency unavailable: batch {key}",
                details={"batch_key": key, "since_hours": batch.alert_hours},
            )
        answered = await declaring
        if alert is not None and alert.completion is None:
            await self.tasks.close_by_system(
                alert.task_id, "acknowledged", "the agency took the declaration"
            )
        st.status = "awaiting_answer"
        while not answered:
            try:
                await workflow.wait_condition(lambda: key in self.answered, timeout=POLL_EVERY)
                answered = True
            except TimeoutError:
                answered = await self._poll(key)
        answer = BatchInput(key, workflow.now())
        applied: AppliedAnswer
        if self.local_steps:
            applied = await local(MedicalLedgerActivities.apply_answer, answer, BATCH_STEP)
        else:
            applied = await workflow.execute_activity_method(
                MedicalLedgerActivities.apply_answer,
                answer,
                start_to_close_timeout=timedelta(minutes=5),
            )
        self._took(applied)

    async def _poll(self, key: str) -> bool:
        """Ask the agency for the answer; one that cannot be applied (it names what we did
        not declare) becomes a supervisor's `system_error` task, polled again once they
        completed it (patched: before, the refusal was polled every 6 hours unseen)."""

        def poll() -> Awaitable[bool]:
            return workflow.execute_activity_method(
                MedicalAgencyActivities.poll_batch,
                BatchInput(key, workflow.now()),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=DECLARE_RETRY,
            )

        if workflow.patched(ANSWER_REFUSED_TASK):
            return await until_fixed(self.tasks, "poll_batch", poll)
        return await poll()

    def _took(self, applied: AppliedAnswer) -> None:
        st = self.st
        st.accepted += applied.accepted
        for case in applied.rejected:
            st.rejected_cases.append(case.case_id)
            self.follow_ups.append(asyncio.create_task(self._rejected(applied.batch_key, case)))
        for refund in applied.refunds:
            if refund.end_to_end_id not in st.refunds:
                st.refunds.append(refund.end_to_end_id)
                self.follow_ups.append(asyncio.create_task(self._refund(refund)))

    async def _rejected(self, batch_key: str, case: RejectedCase) -> None:
        """A clerk corrects the person's data and has the lines declared again, or
        withdraws them with a reason."""
        lines: list[Detail] = list(case.line_ids)
        reasons: list[Detail] = list(case.reasons)
        task = await self.tasks.open(
            "medical_line_rejected",
            task_id=f"medical_line_rejected-{batch_key}-{case.case_id}",
            title=f"医保申报被退回 / Medical declaration rejected: case {case.case_id}",
            details={"batch_key": batch_key, "lines": lines, "reasons": reasons},
        )
        done = await self.tasks.decided(task.task_id)
        if done.outcome == "withdraw":
            await workflow.execute_activity_method(
                MedicalBatchActivities.withdraw_lines,
                WithdrawInput(
                    batch_key, case.case_id, done.actor, done.reason or "", workflow.now()
                ),
                start_to_close_timeout=SHORT,
            )
            return
        self.redeclarations += 1
        new_key = f"{self.st.region_code}-{self.st.month:%Y%m}-R{self.redeclarations}"
        batch = await workflow.execute_activity_method(
            MedicalBatchActivities.redeclare_lines,
            RedeclareInput(
                batch_key, case.case_id, new_key, workflow.info().workflow_id, workflow.now()
            ),
            start_to_close_timeout=SHORT,
        )
        if batch.lines:
            await self._declare(batch)

    async def _refund(self, refund: RefundRef) -> None:
        """范文1 §4.5 with the seed's procedure: 初审, then 复审 by someone else."""
        e2e = refund.end_to_end_id
        details: dict[str, Detail] = {
            "case_id": refund.case_id,
            "month": refund.month,
            "amount": f"{refund.amount}",
        }
        for stage, kind, label in (
            ("first", "medical_refund_review", "初审 / first review"),
            ("second", "medical_refund_approval", "复审 / second review"),
        ):
            task = await self.tasks.open(
                kind,
                task_id=f"{kind}-{e2e}",
                title=f"医保重复缴费退费{label}: {refund.amount:.2f} 元 ({e2e})",
                details={**details, "first_reviewer": self.first_reviewers.get(e2e)},
            )
            done = await self.tasks.decided(task.task_id)
            await workflow.execute_activity_method(
                MedicalLedgerActivities.decide_refund,
                RefundDecisionInput(
                    e2e, stage, done.outcome, done.actor, workflow.now(), done.reason
                ),
                start_to_close_timeout=SHORT,
            )
            if done.outcome != "approve":
                return
            self.first_reviewers[e2e] = done.actor

    def check_task_data(self, task: TaskState, data: TaskData, inp: CompleteTaskInput) -> None:
        if task.kind == "medical_refund_approval":
            e2e = task.task_id.removeprefix("medical_refund_approval-")
            if inp.actor == self.first_reviewers.get(e2e):
                raise ApplicationError(
                    "复审 must be made by someone other than the 初审 reviewer", type=FORBIDDEN
                )
