"""The medical calendar: on the first working day of each region's monthly declaration window
(policy: the 20th-25th, rolled to working days) at 09:00 China time it starts that month's
MedicalDeclarationWorkflow through an activity, long-lived on durable timers like the payout
calendar (the time-skipping server has no Schedules). A region with no cover to declare that
month gets no declaration (`SKIP_EMPTY`: it would assemble nothing and end `empty`).

Today ONE calendar for every region, `AllRegionsMedicalCalendarWorkflow`, `medical-calendar`,
as the payout calendar (workflows/payout_calendar.py explains why, and why a new workflow
type): each moment is ONE workflow task running ONE local activity
(activities/calendar_moments.py) that, for every region of the policy (read there each time),
starts the month's declaration whose window opened by then (the same `_if_due` check, the same
idempotent ID `ids.medical_declaration(region, month)`), looks up that region's next window
(from the day after this one closes, or today on a late wake), and returns each region's place
and the next moment over all regions (the earliest opening). A region whose look-up or start
fails is reported and retried an hour later, backing off to a day, without holding the others.
After `MOMENTS_PER_RUN` moments it continues as new carrying the regions' windows
(tests/histories/medical/calendar_all_*). `ensure_medical_calendar` terminates the per-region
calendars of earlier deployments that still run.

`MedicalCalendarWorkflow`, the code before: one per region, `medical-calendar-<region>`, kept
for its recorded runs. Since `CALENDAR_LOOP` one run covered `MOMENTS_PER_RUN` windows, each
opening one workflow task running the month's start and the next window's look-up as local
activities (tests/histories/medical/calendar_loop_*); runs started before that keep their
path: a month per run (look-up, timer, start, a sleep past the window, continue-as-new)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from temporalio import workflow
from temporalio.client import Client

with workflow.unsafe.imports_passed_through():
    from activities.calendar_moments import CalendarMomentActivities
    from activities.medical_batches import MedicalBatchActivities
    from activities.starts import WorkflowStartActivities
    from domain.calendar import AGENCY_TZ
    from payloads.calendars import Started
    from payloads.medical import (
        AllMedicalCalendarInput,
        MedicalCalendarInput,
        MedicalDeclarationInput,
        MedicalMomentInput,
        NextWindowInput,
        WindowDays,
    )
    from workflows import ids
    from workflows.calendar_loop import (
        CALENDAR_LOOP,
        MOMENTS_PER_RUN,
        agency_today,
        all_regions_moments,
        ensure_one,
    )
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


@workflow.defn
class AllRegionsMedicalCalendarWorkflow:
    """The one medical calendar, `medical-calendar` (see the module docstring)."""

    @workflow.run
    async def run(self, inp: AllMedicalCalendarInput) -> None:
        await all_regions_moments(
            inp,
            CalendarMomentActivities.start_due_medical_declarations,
            MedicalMomentInput,
            "medical",
        )


async def ensure_medical_calendar(
    client: Client,
    task_queue: str,
    *,
    earlier: Iterable[str] = (),
    only: list[str] | None = None,
) -> None:
    """Start the one medical calendar unless it runs already (called when a worker starts),
    after terminating the per-region calendars of earlier deployments of the `earlier`
    regions (the policy's) that still run; `only` (tests) restricts it to these regions."""
    await ensure_one(
        client,
        AllRegionsMedicalCalendarWorkflow.run,
        AllMedicalCalendarInput(only=only),
        ids.MEDICAL_CALENDAR,
        [ids.medical_calendar(code) for code in earlier],
        task_queue,
    )
