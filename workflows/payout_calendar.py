"""PayoutCalendarWorkflow: one per region, `payout-calendar-<region>`, long-lived on durable
timers (the time-skipping server has no Schedules, so this works in both clock modes). On
each policy payout day at 09:00 (China time) it starts that day's PaymentRunWorkflow (through
an activity, not as a child: see activities/starts.py). Since `SKIP_EMPTY` the start looks at
the ledger first: a region owing nothing up to the payout day gets no run (it would gather
nothing and end `empty`).

Since `CALENDAR_LOOP` (issue 9 §8) one run covers `MOMENTS_PER_RUN` payout days: at each, the
timer fires and ONE workflow task runs together, as local activities, the day's start and the
look-up of the next payout day (after this one, so a policy or holiday change made before
reaches it), and schedules the timer to that day in the same completion; after the last, it
continues as new carrying the day found. Local, because both are short (a policy look-up; a
ledger query and an idempotent start by workflow ID), so holding the workflow task while they
run is fine, and each activity task's round trip to the server (~4-5 ms in sequence on the
time-skipping server, 6 calendars × 25 months in an idle simulated stack's two years) is
saved. A local activity's retries hold the task (and the test server's time), so its
start-to-close is short and its backoff bounded (local_steps.py); the SDK turns a longer wait
between attempts into a timer. A month is one workflow task and 7 history events (timer
fired, 3 workflow-task events, 2 local-activity markers, the next timer started; the run's
first task 8 more), so a run of 12 ends with 92 (tests/histories/calendars/
payout_calendar_loop_*; 217 when the two were activity tasks). Runs started by the code
before keep their path: a month per run (look-up, timer, start, a day's sleep,
continue-as-new)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, time, timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.rules import PayoutCalendarActivities
    from activities.starts import WorkflowStartActivities
    from domain.calendar import AGENCY_TZ
    from payloads.calendars import PayoutCalendarInput, Started
    from payloads.payments import PaymentRunInput
    from payloads.rules import NextPayoutInput
    from workflows import ids
    from workflows.calendar_loop import CALENDAR_LOOP, MOMENTS_PER_RUN, agency_today
    from workflows.local_steps import local

RUN_HOUR = time(9, 0)
SKIP_EMPTY = "calendar-skip-empty"  # workflow.patched: no run where nothing is owed


@workflow.defn
class PayoutCalendarWorkflow:
    @workflow.run
    async def run(self, inp: PayoutCalendarInput) -> None:
        if not workflow.patched(CALENDAR_LOOP):  # a run started by the code before
            await self._one_month(inp)
            return
        day = inp.next_day or await self._next_day(
            inp.region_code, agency_today() - timedelta(days=1)
        )
        for _ in range(MOMENTS_PER_RUN):
            at = datetime.combine(day, RUN_HOUR, tzinfo=AGENCY_TZ)
            if at > workflow.now():
                await workflow.sleep(at - workflow.now())
            # a wake late by days (a worker down) looks on from today, as the code before did
            _, day = await asyncio.gather(
                self._start(inp.region_code, day),
                self._next_day(inp.region_code, max(day, agency_today())),
            )
        workflow.continue_as_new(PayoutCalendarInput(region_code=inp.region_code, next_day=day))

    async def _next_day(self, region_code: str, after: date) -> date:
        """A local activity (see the module docstring)."""
        day: date = await local(
            PayoutCalendarActivities.next_payout_day,
            NextPayoutInput(region_code=region_code, after=after),
        )
        return day

    async def _start(self, region_code: str, day: date) -> Started:
        """A local activity: idempotent (the run's workflow ID), so a retried start is safe."""
        started: Started = await local(
            WorkflowStartActivities.start_payment_run_if_due,
            PaymentRunInput(
                run_id=ids.payment_run_id(region_code, day), region_code=region_code, cutoff=day
            ),
        )
        return started

    async def _one_month(self, inp: PayoutCalendarInput) -> None:
        """The code before `CALENDAR_LOOP`, unchanged: one payout day per run."""
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
