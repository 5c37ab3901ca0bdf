"""Daily reconciliation (日清月结, seed 000 范文4): `reconciliation-daily` wakes at 06:00
(China time) and matches the day before against the bank's statement; a day with a mismatch
gets `reconcile-<day>` (started through an activity, not as a child: see activities/starts.py),
where each mismatch on either side becomes a `reconciliation_mismatch` task for finance (a day
reconciled by hand, POST /reconciliations, is such a workflow too)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, time, timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.exceptions import ActivityError, WorkflowAlreadyStartedError

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
DAYS_PER_RUN = 31  # days matched per run before continue-as-new (~190 history events)
INLINE = "reconcile-inline"  # workflow.patched: the day matched in the daily workflow


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
    """Each morning at 06:00 (China time) the day before is matched right here, by the
    reconciliation activity; only a day with a mismatch (or whose matching failed for good)
    gets a `ReconciliationWorkflow` of its own, for finance's tasks. About a month of days
    per run, then continue-as-new. (Runs started before `INLINE` started a workflow for every
    day and continued as new daily: thousands of workflows for two simulated years.)"""

    @workflow.run
    async def run(self, inp: DailyReconciliationInput) -> None:
        for _ in range(DAYS_PER_RUN):
            now = workflow.now().astimezone(AGENCY_TZ)
            wake = datetime.combine(now.date(), WAKE_AT, tzinfo=AGENCY_TZ)
            if wake <= now:
                wake += timedelta(days=1)
            await workflow.sleep(wake - now)
            day = wake.date() - timedelta(days=1)
            if not workflow.patched(INLINE):  # a run started by the code before
                await self._start_day(day)
                workflow.continue_as_new(DailyReconciliationInput(days_done=inp.days_done + 1))
            await self._reconcile(day)
        workflow.continue_as_new(DailyReconciliationInput(days_done=inp.days_done + DAYS_PER_RUN))

    async def _reconcile(self, day: date) -> None:
        try:
            # not a local activity: the bank answers 404 until its day is over, and a local
            # activity's retries would hold the workflow task, and the test server's time
            result = await workflow.execute_activity_method(
                ReconciliationActivities.reconcile_day,
                ReconcileInput(day=day, at=workflow.now()),
                start_to_close_timeout=timedelta(minutes=5),
            )
        except ActivityError:  # failed for good: the day's workflow opens the task for it
            result = None
        if result is None or result.mismatches:
            await self._start_day(day)

    async def _start_day(self, day: date) -> None:
        await workflow.execute_activity_method(
            WorkflowStartActivities.start_day_reconciliation,
            ReconcileDayInput(day=day),
            start_to_close_timeout=timedelta(seconds=30),
        )


async def ensure_daily_reconciliation(client: Client, task_queue: str) -> None:
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            DailyReconciliationWorkflow.run,
            DailyReconciliationInput(),
            id=ids.DAILY_RECONCILIATION,
            task_queue=task_queue,
        )
