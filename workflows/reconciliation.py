"""Daily reconciliation (日清月结, seed 000 范文4): `reconciliation-daily` wakes at 06:00
(China time) and starts `reconcile-<day>` for the day before (through an activity, not as a
child: see activities/starts.py); each mismatch on either side becomes a
`reconciliation_mismatch` task for finance."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.reconciliation import ReconcileInput, ReconciliationActivities
    from activities.starts import WorkflowStartActivities
    from domain.calendar import AGENCY_TZ
    from workflows.case_models import CompleteTaskInput, TaskCompletion, TaskState
    from workflows.human_task import HumanTasks
    from workflows.reconciliation_models import ReconcileDayInput

__all__ = [
    "DailyReconciliationInput",
    "DailyReconciliationWorkflow",
    "ReconcileDayInput",
    "ReconcileDayStatus",
    "ReconciliationWorkflow",
    "ensure_daily_reconciliation",
]

WAKE_AT = time(6, 0)
START_BY_ACTIVITY = "start-runs-by-activity"  # was an abandoned child: stalled simulated time


@dataclass
class ReconcileDayStatus:
    day: date
    status: str = "matching"
    matched: int = 0
    mismatches: list[dict[str, object]] = field(default_factory=list)


@workflow.defn
class ReconciliationWorkflow:
    @workflow.init
    def __init__(self, inp: ReconcileDayInput) -> None:
        self.st = ReconcileDayStatus(day=inp.day)
        self.task_states: dict[str, TaskState] = {}
        self.tasks = HumanTasks(workflow.info().workflow_id, None, self.task_states)

    @workflow.update
    async def complete_task(self, inp: CompleteTaskInput) -> TaskCompletion:
        return await self.tasks.complete(inp)

    @complete_task.validator
    def _validate_completion(self, inp: CompleteTaskInput) -> None:
        self.tasks.validate(inp, lambda task, inp: None)

    @workflow.query
    def state(self) -> ReconcileDayStatus:
        return self.st

    @workflow.run
    async def run(self, inp: ReconcileDayInput) -> str:
        result = await workflow.execute_activity_method(
            ReconciliationActivities.reconcile_day,
            ReconcileInput(day=inp.day, at=workflow.now()),
            start_to_close_timeout=timedelta(minutes=5),
        )
        self.st.matched, self.st.mismatches = result.matched, result.mismatches
        if not result.mismatches:
            self.st.status = "reconciled"
            return self.st.status
        self.st.status = "mismatched"
        opened = []
        for m in result.mismatches:
            opened.append(
                await self.tasks.open(
                    "reconciliation_mismatch",
                    task_id=f"reconciliation_mismatch-{inp.day:%Y%m%d}-{m['end_to_end_id']}",
                    title=f"对账不符 / Statement mismatch {inp.day}: {m['end_to_end_id']}",
                    details=dict(m),
                )
            )
        await asyncio.gather(*(self.tasks.wait(t.task_id) for t in opened))
        self.st.status = "resolved"
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.st.status


@dataclass
class DailyReconciliationInput:
    days_done: int = 0


@workflow.defn
class DailyReconciliationWorkflow:
    @workflow.run
    async def run(self, inp: DailyReconciliationInput) -> None:
        now = workflow.now().astimezone(AGENCY_TZ)
        wake = datetime.combine(now.date(), WAKE_AT, tzinfo=AGENCY_TZ)
        if wake <= now:
            wake += timedelta(days=1)
        await workflow.sleep(wake - now)
        day = wake.date() - timedelta(days=1)
        if workflow.patched(START_BY_ACTIVITY):
            await workflow.execute_activity_method(
                WorkflowStartActivities.start_day_reconciliation,
                ReconcileDayInput(day=day),
                start_to_close_timeout=timedelta(seconds=30),
            )
            workflow.continue_as_new(DailyReconciliationInput(days_done=inp.days_done + 1))
        try:
            await workflow.start_child_workflow(
                "ReconciliationWorkflow",
                ReconcileDayInput(day=day),
                id=f"reconcile-{day.isoformat()}",
                parent_close_policy=ParentClosePolicy.ABANDON,
                result_type=str,
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("reconciliation of %s already started", day)
        workflow.continue_as_new(DailyReconciliationInput(days_done=inp.days_done + 1))


async def ensure_daily_reconciliation(client: Client, task_queue: str) -> None:
    try:
        await client.start_workflow(
            DailyReconciliationWorkflow.run,
            DailyReconciliationInput(),
            id="reconciliation-daily",
            task_queue=task_queue,
        )
    except WorkflowAlreadyStartedError:
        pass
