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
    from payloads.reconciliation import (
        ReconcileDayInput,
        ReconcileDaysInput,
        ReconcileDayStatus,
        ReconcileInput,
    )
    from workflows import ids
    from workflows.human_tasks import HumanTasks, TaskOwner
    from workflows.system_errors import until_fixed

__all__ = [
    "DAILY",
    "QUIET_DAYS",
    "DailyReconciliationWorkflow",
    "ReconciliationWorkflow",
    "ensure_daily_reconciliation",
]

WAKE_AT = time(6, 0)
DAYS_PER_RUN = 31  # days matched per run before continue-as-new (~190 history events)
INLINE = "reconcile-inline"  # workflow.patched: the day matched in the daily workflow
QUIET = "reconcile-quiet-days"  # workflow.patched: quiet days matched together
QUIET_DAYS = 7  # a week: the tests' quiet window (the simulated stack's: RECONCILE_QUIET_DAYS)
DAILY = 1  # real clock: every day is matched the next morning (日清, seed 000 范文4)


def _morning_after(now: datetime) -> datetime:
    """The first 06:00 (agency time) after `now`."""
    wake = datetime.combine(now.date(), WAKE_AT, tzinfo=AGENCY_TZ)
    return wake if wake > now else wake + timedelta(days=1)


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
    reconciliation activity, while payments are at the bank (sent, not yet settled or
    returned) or were sent since the last match (`payments_sent`, signalled by the payment
    run). Without payments at the bank the days are quiet: they are matched together, each its
    own statement and record, on the next morning after a payment is sent, and at the latest
    `quiet_days` after the first of them: the next morning on the real clock (`DAILY`, 日清),
    a month on the simulated clock (`RECONCILE_QUIET_DAYS`, worker.py), so a simulated stack
    moves two years without a Temporal wake every day. Only a day with a mismatch (or whose
    matching failed for good) gets a `ReconciliationWorkflow` of its own, for finance's tasks.
    About a month of wakes per run, then continue-as-new. (Runs started before `QUIET` woke
    every morning; before `INLINE`, they also started a workflow for every day and continued
    as new daily.)"""

    def __init__(self) -> None:
        self.sent = False  # payments at the bank or sent since the last match

    @workflow.signal
    def payments_sent(self) -> None:
        """A payment run's transfers are at the bank: match every morning from tomorrow."""
        self.sent = True

    @workflow.run
    async def run(self, inp: DailyReconciliationInput) -> None:
        if not workflow.patched(QUIET):  # a run started by the code before
            await self._every_morning(inp)
        self.sent = self.sent or inp.busy  # a signal may come before the run's first line
        first = inp.next_day
        for _ in range(DAYS_PER_RUN):
            wake = await self._wake(first, inp.quiet_days)
            last = wake.date() - timedelta(days=1)
            first = last if first is None else first
            self.sent = False  # a signal while the days are matched counts for tomorrow
            if first <= last:
                await self._reconcile_days(first, last)
            first = last + timedelta(days=1)
        workflow.continue_as_new(
            DailyReconciliationInput(
                days_done=inp.days_done + DAYS_PER_RUN,
                next_day=first,
                busy=self.sent,
                quiet_days=inp.quiet_days,
            )
        )

    async def _wake(self, first: date | None, quiet_days: int) -> datetime:
        """Sleep until the morning the next days are matched; that morning (agency time)."""
        now = workflow.now().astimezone(AGENCY_TZ)
        wake = _morning_after(now)
        if not self.sent and first is not None:  # quiet: a week on, or the morning after a payment
            quiet = datetime.combine(first + timedelta(days=quiet_days), WAKE_AT, tzinfo=AGENCY_TZ)
            try:
                await workflow.wait_condition(lambda: self.sent, timeout=max(quiet, wake) - now)
                wake = _morning_after(workflow.now().astimezone(AGENCY_TZ))
            except TimeoutError:
                return max(quiet, wake)
        now = workflow.now().astimezone(AGENCY_TZ)
        if wake > now:
            await workflow.sleep(wake - now)
        return wake

    async def _reconcile_days(self, first: date, last: date) -> None:
        try:
            # not a local activity: the bank answers 404 until its day is over, and a local
            # activity's retries would hold the workflow task, and the test server's time
            result = await workflow.execute_activity_method(
                ReconciliationActivities.reconcile_days,
                ReconcileDaysInput(first=first, last=last, at=workflow.now()),
                start_to_close_timeout=timedelta(minutes=5),
            )
        except ActivityError:  # failed for good: each day's workflow opens the task for it
            for n in range((last - first).days + 1):
                await self._start_day(first + timedelta(days=n))
            return
        for r in result.results:
            if r.mismatches:
                await self._start_day(r.day)
        for day in result.failed:
            await self._start_day(day)
        if result.in_flight:
            self.sent = True

    async def _every_morning(self, inp: DailyReconciliationInput) -> None:
        """The loop of runs started before `QUIET`: every morning, the day before."""
        for _ in range(DAYS_PER_RUN):
            now = workflow.now().astimezone(AGENCY_TZ)
            wake = _morning_after(now)
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


async def ensure_daily_reconciliation(client: Client, task_queue: str, *, quiet_days: int) -> None:
    """Start `reconciliation-daily` once. `quiet_days`: how long days without payments at the
    bank may wait to be matched: `DAILY` on the real clock (every day the next morning, 日清),
    a month on the simulated clock (worker.py: `RECONCILE_QUIET_DAYS`), so demo time moves
    without a wake a day."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            DailyReconciliationWorkflow.run,
            DailyReconciliationInput(quiet_days=quiet_days),
            id=ids.DAILY_RECONCILIATION,
            task_queue=task_queue,
        )
