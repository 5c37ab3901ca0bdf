"""An offset request's review (issue 11 §4): a recovery offset against a claimant's later case
takes that case's payments only once a supervisor approves it. Each request is a
`recovery-offset-<id>` workflow owning one `recovery_offset_review` task for the supervisors,
completed like every task (the one `complete_task` Update, its data typed per kind,
domain/task_data.py); the decision is then applied (approved: the later case's unsent benefit
payments reduced; refused: nothing taken) and audited by an idempotent activity. The person
who asked for the offset does not decide it (a second pair of eyes). The task is due after the
period the later case's region sets (policy periods.task_deadlines, working days through the
holiday calendar): reminded before, escalated when overdue, like every task."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.recovery import RecoveryActivities
    from activities.rules import RuleActivities
    from domain.calendar import AGENCY_TZ
    from domain.deadlines import deadline_expiry, reminder_instant
    from domain.task_data import TaskData
    from payloads.errors import FORBIDDEN
    from payloads.recovery import OffsetDecisionInput, OffsetReviewInput, OffsetReviewState
    from payloads.rules import PlanTaskDueInput, TaskDuePlan
    from payloads.tasks import CompleteTaskInput, TaskState
    from workflows import ids
    from workflows.human_tasks import HumanTasks, TaskOwner
    from workflows.system_errors import until_fixed

KIND = "recovery_offset_review"
DECIDE_TIMEOUT = timedelta(seconds=30)
PLAN_TIMEOUT = timedelta(seconds=30)
DUE_PATCH = "offset-review-due"  # the task got a due date (an activity before it opens)


@workflow.defn
class RecoveryOffsetWorkflow(TaskOwner):
    @workflow.init
    def __init__(self, inp: OffsetReviewInput) -> None:
        self.inp = inp
        self.st = OffsetReviewState(offset_id=inp.offset_id, task_id=ids.offset_task(inp.offset_id))
        self.tasks = HumanTasks(workflow.info().workflow_id, inp.case_id, {})
        self.opened = False

    @workflow.query
    def state(self) -> OffsetReviewState:
        return self.st

    @workflow.update
    async def task_opened(self) -> str:
        """Answers once the supervisors' task is in the worklist (a 2xx is already visible)."""
        await workflow.wait_condition(lambda: self.opened)
        return self.st.task_id

    def check_task_data(self, task: TaskState, data: TaskData, inp: CompleteTaskInput) -> None:
        if inp.actor == self.inp.requested_by:
            raise ApplicationError(
                f"{inp.actor} asked for this offset and cannot decide it; another supervisor must",
                type=FORBIDDEN,
            )

    async def written(self) -> None:
        """The completion answers once the decision is applied (or stuck on a system error)."""
        await workflow.wait_condition(
            lambda: self.st.status != "requested" or bool(self.tasks.of_kind("system_error"))
        )

    async def _due(self, inp: OffsetReviewInput) -> TaskDuePlan | None:
        """When the supervisors' decision is due, by the later case's region's policy (none
        for a request made before the region was passed along)."""
        if not inp.region_code or not workflow.patched(DUE_PATCH):
            return None
        start = workflow.now().astimezone(AGENCY_TZ).date()
        return await until_fixed(
            self.tasks,
            "plan_task_due",
            lambda: workflow.execute_activity_method(
                RuleActivities.plan_task_due,
                PlanTaskDueInput(region_code=inp.region_code, kind=KIND, start=start),
                start_to_close_timeout=PLAN_TIMEOUT,
            ),
        )

    @workflow.run
    async def run(self, inp: OffsetReviewInput) -> str:
        due = await self._due(inp)
        await self.tasks.open(
            KIND,
            task_id=self.st.task_id,
            due_at=deadline_expiry(due.due_date) if due else None,
            reminders=[reminder_instant(d) for d in due.reminders] if due else None,
            provisional=due.provisional if due else False,
            title=(
                f"追回款抵扣待审批 / Offset {inp.balance} of case {inp.overpaid_case_id}'s "
                f"recovery against case {inp.case_id}"
            ),
            details={
                "offset_id": inp.offset_id,
                "recovery_id": inp.recovery_id,
                "overpaid_case_id": inp.overpaid_case_id,
                "against_case": inp.case_id,
                "balance": inp.balance,
                "requested_by": inp.requested_by,
                **({"due_date": due.due_date.isoformat()} if due else {}),
            },
        )
        self.opened = True
        done = await self.tasks.decided(self.st.task_id)
        decision = OffsetDecisionInput(
            offset_id=inp.offset_id,
            approve=done.outcome == "approve",
            decided_by=done.actor,
            reason=done.reason,
            at=done.completed_at,
        )
        self.st.status = await until_fixed(
            self.tasks,
            "decide_offset",
            lambda: workflow.execute_activity_method(
                RecoveryActivities.decide_offset, decision, start_to_close_timeout=DECIDE_TIMEOUT
            ),
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.st.status
