"""Daily reconciliation (日清月结, seed 000 范文4): `reconciliation-daily` wakes at 06:00
(China time) and starts `reconcile-<day>` for the day before (through an activity, not as a
child: see activities/starts.py); each mismatch on either side becomes a
`reconciliation_mismatch` task for finance."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.reconciliation import ReconciliationActivities
    from activities.starts import WorkflowStartActivities
    from domain.calendar import AGENCY_TZ
    from payloads.calendars import DailyReconciliationInput
    from payloads.reconciliation import ReconcileDayInput, ReconcileDayStatus, ReconcileInput
    from workflows import ids
    from workflows.human_tasks import HumanTasks, TaskOwner
    from workflows.system_errors import until_fixed

__all__ = [
    "DailyReconciliationWorkflow",
    "ReconciliationWorkflow",
    "ensure_daily_reconciliation",
]

WAKE_AT = time(6, 0)


@workflow.defn
class ReconciliationWorkflow(TaskOwner):
    @workflow.init
    def __init__(self, inp: ReconcileDayInput) -> None:
        self.st = ReconcileDayStatus(day=inp.day)
        self.tasks = HumanTasks(workflow.info().workflow_id, None, {})

    @workflow.query
    def state(self) -> ReconcileDayStatus:
        return self.st

    @workflow.run
    async def run(self, inp: ReconcileDayInput) -> str:
        result = await until_fixed(
            self.tasks,
            "reconcile_day",
            lambda: workflow.execute_activity_method(
                ReconciliationActivities.reconcile_day,
                ReconcileInput(day=inp.day, at=workflow.now()),
                start_to_close_timeout=timedelta(minutes=5),
                heartbeat_timeout=timedelta(minutes=2),
            ),
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
                    task_id=ids.mismatch_task(inp.day, m.end_to_end_id),
                    title=f"对账不符 / Statement mismatch {inp.day}: {m.end_to_end_id}",
                    details=m.as_record(),
                )
            )
        await asyncio.gather(*(self.tasks.decided(t.task_id) for t in opened))
        self.st.status = "resolved"
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.st.status


@workflow.defn
class DailyReconciliationWorkflow:
    @workflow.run
    async def run(self, inp: DailyReconciliationInput) -> None:
        now = workflow.now().astimezone(AGENCY_TZ)
        wake = datetime.combine(now.date(), WAKE_AT, tzinfo=AGENCY_TZ)
        if wake <= now:
            wake += timedelta(days=1)
        await workflow.sleep(wake - now)
        await workflow.execute_activity_method(
            WorkflowStartActivities.start_day_reconciliation,
            ReconcileDayInput(day=wake.date() - timedelta(days=1)),
            start_to_close_timeout=timedelta(seconds=30),
        )
        workflow.continue_as_new(DailyReconciliationInput(days_done=inp.days_done + 1))


async def ensure_daily_reconciliation(client: Client, task_queue: str) -> None:
    try:
        await client.start_workflow(
            DailyReconciliationWorkflow.run,
            DailyReconciliationInput(),
            id=ids.DAILY_RECONCILIATION,
            task_queue=task_queue,
        )
    except WorkflowAlreadyStartedError:
        pass
