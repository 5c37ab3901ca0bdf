"""PayoutCalendarWorkflow: one per region, `payout-calendar-<region>`, long-lived on durable
timers (the time-skipping server has no Schedules, so this works in both clock modes). On
each policy payout day at 09:00 (China time) it starts that day's PaymentRunWorkflow (through
an activity, not as a child: see activities/starts.py), then continues as new, so its history
stays a few events long. Since `SKIP_EMPTY` the start looks at the ledger first: a region owing
nothing up to the payout day gets no run (it would gather nothing and end `empty`)."""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.rules import PayoutCalendarActivities
    from activities.starts import WorkflowStartActivities
    from domain.calendar import AGENCY_TZ
    from payloads.calendars import PayoutCalendarInput
    from payloads.payments import PaymentRunInput
    from payloads.rules import NextPayoutInput
    from workflows import ids

RUN_HOUR = time(9, 0)
SKIP_EMPTY = "calendar-skip-empty"  # workflow.patched: no run where nothing is owed


@workflow.defn
class PayoutCalendarWorkflow:
    @workflow.run
    async def run(self, inp: PayoutCalendarInput) -> None:
        today = workflow.now().astimezone(AGENCY_TZ).date()
        day = await workflow.execute_activity_method(
            PayoutCalendarActivities.next_payout_day,
            NextPayoutInput(region_code=inp.region_code, after=today - timedelta(days=1)),
            start_to_close_timeout=timedelta(seconds=30),
        )
        at = datetime.combine(day, RUN_HOUR, tzinfo=AGENCY_TZ)
        if at > workflow.now():
            await workflow.sleep(at - workflow.now())
        start = (
            WorkflowStartActivities.start_payment_run_if_due
            if workflow.patched(SKIP_EMPTY)
            else WorkflowStartActivities.start_payment_run  # a run started by the code before
        )
        await workflow.execute_activity_method(
            start,
            PaymentRunInput(
                run_id=ids.payment_run_id(inp.region_code, day),
                region_code=inp.region_code,
                cutoff=day,
            ),
            start_to_close_timeout=timedelta(seconds=30),
        )
        # wait past the payout moment so the next look finds the next payout day
        await workflow.sleep(timedelta(days=1))
        workflow.continue_as_new(inp)


async def ensure_payout_calendars(client: Client, regions: list[str], task_queue: str) -> None:
    """Start each region's calendar unless it runs already (called when a worker starts)."""
    for code in regions:
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await client.start_workflow(
                PayoutCalendarWorkflow.run,
                PayoutCalendarInput(region_code=code),
                id=ids.payout_calendar(code),
                task_queue=task_queue,
            )
