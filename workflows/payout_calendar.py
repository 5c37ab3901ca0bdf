"""PayoutCalendarWorkflow: one per region, `payout-calendar-<region>`, long-lived on durable
timers (the time-skipping server has no Schedules, so this works in both clock modes). On
each policy payout day at 09:00 (China time) it starts that day's PaymentRunWorkflow (through
an activity, not as a child: see activities/starts.py), then continues as new, so its history
stays a few events long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.rules import NextPayoutInput, PayoutCalendarActivities
    from activities.starts import WorkflowStartActivities
    from domain.calendar import AGENCY_TZ
    from workflows.payment_run import PaymentRunInput

RUN_HOUR = time(9, 0)
START_BY_ACTIVITY = "start-runs-by-activity"  # was an abandoned child: stalled simulated time


@dataclass
class PayoutCalendarInput:
    region_code: str


def run_id_for(region_code: str, day: object) -> str:
    return f"R{region_code}-{day:%Y%m%d}"


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
        run_id = run_id_for(inp.region_code, day)
        run = PaymentRunInput(run_id=run_id, region_code=inp.region_code, cutoff=day)
        if workflow.patched(START_BY_ACTIVITY):
            await workflow.execute_activity_method(
                WorkflowStartActivities.start_payment_run,
                run,
                start_to_close_timeout=timedelta(seconds=30),
            )
            await workflow.sleep(timedelta(days=1))
            workflow.continue_as_new(inp)
        try:
            # By name, with an untyped result: the calendar never reads the run's result.
            await workflow.start_child_workflow(
                "PaymentRunWorkflow",
                run,
                id=f"payment-run-{run_id}",
                parent_close_policy=ParentClosePolicy.ABANDON,
                result_type=dict,
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("run %s was already started", run_id)
        # wait past the payout moment so the next look finds the next payout day
        await workflow.sleep(timedelta(days=1))
        workflow.continue_as_new(inp)


async def ensure_payout_calendars(client: Client, regions: list[str], task_queue: str) -> None:
    """Start each region's calendar unless it runs already (called when a worker starts)."""
    for code in regions:
        try:
            await client.start_workflow(
                PayoutCalendarWorkflow.run,
                PayoutCalendarInput(region_code=code),
                id=f"payout-calendar-{code}",
                task_queue=task_queue,
            )
        except WorkflowAlreadyStartedError:
            pass
