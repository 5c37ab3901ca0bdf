"""MedicalCalendarWorkflow: one per region, `medical-calendar-<region>`, long-lived on durable
timers like the payout calendar (the time-skipping server has no Schedules). On the first
working day of each month's declaration window (policy: the 20th-25th, rolled to working days)
at 09:00 China time it starts that month's MedicalDeclarationWorkflow through an activity,
sleeps past the window and continues as new, so its history stays a few events long. Since
`SKIP_EMPTY` the start looks at the coverage first: a region with no cover to declare that
month gets no declaration (it would assemble nothing and end `empty`)."""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.medical_batches import MedicalBatchActivities
    from activities.starts import WorkflowStartActivities
    from domain.calendar import AGENCY_TZ
    from payloads.medical import MedicalCalendarInput, MedicalDeclarationInput, NextWindowInput
    from workflows import ids

DECLARE_HOUR = time(9, 0)
SKIP_EMPTY = "calendar-skip-empty"  # workflow.patched: no declaration without a cover


@workflow.defn
class MedicalCalendarWorkflow:
    @workflow.run
    async def run(self, inp: MedicalCalendarInput) -> None:
        today = workflow.now().astimezone(AGENCY_TZ).date()
        window = await workflow.execute_activity_method(
            MedicalBatchActivities.next_declaration_window,
            NextWindowInput(region_code=inp.region_code, on=today),
            start_to_close_timeout=timedelta(seconds=30),
        )
        at = datetime.combine(window.opens, DECLARE_HOUR, tzinfo=AGENCY_TZ)
        if at > workflow.now():
            await workflow.sleep(at - workflow.now())
        start = (
            WorkflowStartActivities.start_medical_declaration_if_due
            if workflow.patched(SKIP_EMPTY)
            else WorkflowStartActivities.start_medical_declaration  # started by the code before
        )
        await workflow.execute_activity_method(
            start,
            MedicalDeclarationInput(region_code=inp.region_code, month=window.month),
            start_to_close_timeout=timedelta(seconds=30),
        )
        # past the window's last day, so the next look finds the next month's window
        after = datetime.combine(window.closes + timedelta(days=1), time(0), tzinfo=AGENCY_TZ)
        await workflow.sleep(max(after - workflow.now(), timedelta(hours=1)))
        workflow.continue_as_new(inp)


async def ensure_medical_calendars(client: Client, regions: list[str], task_queue: str) -> None:
    """Start each region's calendar unless it runs already (called when a worker starts)."""
    for code in regions:
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await client.start_workflow(
                MedicalCalendarWorkflow.run,
                MedicalCalendarInput(region_code=code),
                id=ids.medical_calendar(code),
                task_queue=task_queue,
            )
