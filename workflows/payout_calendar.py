"""The payout calendar: on each region's policy payout day at 09:00 (China time) it starts that
day's PaymentRunWorkflow (through an activity, not as a child: see activities/starts.py),
long-lived on durable timers (the time-skipping server has no Schedules, so this works in both
clock modes). A region owing nothing up to the payout day gets no run (`SKIP_EMPTY`: it would
gather nothing and end `empty`).

Today ONE calendar for every region, `AllRegionsPayoutCalendarWorkflow`, `payout-calendar`
(issue 9 §8: one per region per kind cost a workflow task and a database look-up per region
each month, the largest share of the simulated clock's workflow-task time). Each moment is ONE
workflow task running ONE local activity (activities/calendar_moments.py) that, for every
region of the policy (read there each time, so a region added later is picked up), starts the
run due at that moment (the payout day per region from the policy; the same `_if_due` check
and the same idempotent run ID `ids.payment_run_id(region, day)`, so a restart or a duplicate
start is harmless) and looks up that region's next payout day (after this one, or after today
on a wake late by days: a worker down), and returns each region's place and the next moment
over all regions; the task also starts the timer to it. A region whose look-up or start fails
does not hold the others: reported in the result (and logged), its day kept and retried an
hour later, backing off to a day, never skipped. After `MOMENTS_PER_RUN` moments (the first
look-up one of them) it continues as new carrying the regions' places and the next moment. A
moment is 6 history events (timer fired, 3 workflow-task events, the local activity's marker,
the next timer started), so a run ends with 72 (tests/histories/calendars/
payout_calendar_all_*). Local, because each step is short (a policy look-up; a ledger query
and an idempotent start by workflow ID); a local activity's retries hold the task (and the
test server's time), so its start-to-close is short and its backoff bounded
(local_steps.py).

A new workflow type rather than a new input of the old one: the old type's recorded runs
(per-region input, their own commands) replay on its code unchanged, without a patch marker on
either path, and no run of the new type was ever recorded before it, so it needs none.
`ensure_payout_calendar` (at worker start) terminates the per-region calendars of earlier
deployments that still run, and the old type stays registered so such a run's pending task
completes until then.

`PayoutCalendarWorkflow`, the code before: one per region, `payout-calendar-<region>`. Since
`CALENDAR_LOOP` one run covered `MOMENTS_PER_RUN` payout days, each moment one workflow task
running together, as local activities, the day's start and the look-up of the next payout
day; after the last, it continued as new carrying the day found (tests/histories/calendars/
payout_calendar_loop_*). Runs started before that keep their path: a month per run (look-up,
timer, start, a day's sleep, continue-as-new)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from temporalio import workflow
from temporalio.client import Client

with workflow.unsafe.imports_passed_through():
    from activities.calendar_moments import CalendarMomentActivities
    from activities.rules import PayoutCalendarActivities
    from activities.starts import WorkflowStartActivities
    from domain.calendar import AGENCY_TZ
    from payloads.calendars import (
        AllPayoutCalendarInput,
        PayoutCalendarInput,
        PayoutMomentInput,
        Started,
    )
    from payloads.payments import PaymentRunInput
    from payloads.rules import NextPayoutInput
    from workflows import ids
    from workflows.calendar_loop import (
        CALENDAR_LOOP,
        MOMENTS_PER_RUN,
        agency_today,
        all_regions_moments,
        ensure_one,
    )
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


@workflow.defn
class AllRegionsPayoutCalendarWorkflow:
    """The one payout calendar, `payout-calendar` (see the module docstring)."""

    @workflow.run
    async def run(self, inp: AllPayoutCalendarInput) -> None:
        await all_regions_moments(
            inp, CalendarMomentActivities.start_due_payment_runs, PayoutMomentInput, "payout"
        )


async def ensure_payout_calendar(
    client: Client,
    task_queue: str,
    *,
    earlier: Iterable[str] = (),
    only: list[str] | None = None,
) -> None:
    """Start the one payout calendar unless it runs already (called when a worker starts),
    after terminating the per-region calendars of earlier deployments of the `earlier`
    regions (the policy's) that still run; `only` (tests) restricts it to these regions."""
    await ensure_one(
        client,
        AllRegionsPayoutCalendarWorkflow.run,
        AllPayoutCalendarInput(only=only),
        ids.PAYOUT_CALENDAR,
        [ids.payout_calendar(code) for code in earlier],
        task_queue,
    )
