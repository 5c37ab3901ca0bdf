"""MedicalCalendarWorkflow: one per region, `medical-calendar-<region>`, long-lived on durable
timers like the payout calendar (the time-skipping server has no Schedules). On the first
working day of each month's declaration window (policy: the 20th-25th, rolled to working days)
at 09:00 China time it starts that month's MedicalDeclarationWorkflow through an activity.
Since `SKIP_EMPTY` the start looks at the coverage first: a region with no cover to declare that
month gets no declaration (it would assemble nothing and end `empty`).

Since `CALENDAR_LOOP` (issue 9 §8) one run covers `MOMENTS_PER_RUN` windows: at each opening,
the timer fires and ONE workflow task runs together, as local activities, the month's start
and the look-up of the next window (from the day after this one closes, so a policy or
holiday-calendar change made before reaches it), and schedules the timer to that opening in
the same completion; after the last, it continues as new carrying the window found. Local, as
in the payout calendar: both are short (a policy and calendar look-up; a coverage query and an
idempotent start by workflow ID), so holding the workflow task is fine and each activity
task's round trip to the server is saved; a local activity's retries hold the task (and the
test server's time), so its start-to-close is short and its backoff bounded (local_steps.py;
the SDK turns longer waits into timers). A month is one workflow task and 7 history events
(timer fired, 3 workflow-task events, 2 local-activity markers, the next timer started), so a
run of 12 ends with 92 (tests/histories/medical/calendar_loop_*). Runs started
by the code before keep their path: a month per run (look-up, timer, start, a sleep past the
window, continue-as-new)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, time, timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.medical_batches import MedicalBatchActivities
    from activities.starts import WorkflowStartActivities
    from domain.calendar import AGENCY_TZ
    from payloads.calendars import Started
    from payloads.medical import (
        MedicalCalendarInput,
        MedicalDeclarationInput,
        NextWindowInput,
        WindowDays,
    )
    from workflows import ids
    from workflows.calendar_loop import CALENDAR_LOOP, MOMENTS_PER_RUN, agency_today
    from workflows.local_steps import local

DECLARE_HOUR = time(9, 0)
SKIP_EMPTY = "calendar-skip-empty"  # workflow.patched: no declaration without a cover


@workflow.defn
class MedicalCalendarWorkflow:
    @workflow.run
    async def run(self, inp: MedicalCalendarInput) -> None:
        if not workflow.patched(CALENDAR_LOOP):  # a run started by the code before
            await self._one_month(inp)
            return
        window = inp.next_window or await self._next_window(inp.region_code, agency_today())
        for _ in range(MOMENTS_PER_RUN):
            at = datetime.combine(window.opens, DECLARE_HOUR, tzinfo=AGENCY_TZ)
            if at > workflow.now():
                await workflow.sleep(at - workflow.now())
            # a wake late by days (a worker down) looks on from today, as the code before did
            _, window = await asyncio.gather(
                self._start(inp.region_code, window.month),
                self._next_window(
                    inp.region_code, max(window.closes + timedelta(days=1), agency_today())
                ),
            )
        workflow.continue_as_new(
            MedicalCalendarInput(region_code=inp.region_code, next_window=window)
        )

    async def _next_window(self, region_code: str, on: date) -> WindowDays:
        """A local activity (see the module docstring)."""
        window: WindowDays = await local(
            MedicalBatchActivities.next_declaration_window,
            NextWindowInput(region_code=region_code, on=on),
        )
        return window

    async def _start(self, region_code: str, month: date) -> Started:
        """A local activity: idempotent (the month's workflow ID), so a retried start is safe."""
        started: Started = await local(
            WorkflowStartActivities.start_medical_declaration_if_due,
            MedicalDeclarationInput(region_code=region_code, month=month),
        )
        return started

    async def _one_month(self, inp: MedicalCalendarInput) -> None:
        """The code before `CALENDAR_LOOP`, unchanged: one window per run."""
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
