"""The one payout calendar (`payout-calendar`, every region) starts each region's payout-day
payment run on durable timers, so the trigger works on the time-skipping server (which has no
Schedules) as on a real cluster; a region owing nothing that day gets no run (issue 9 §8: the
regions without cases cost a simulated stack nothing each month); each moment is one workflow
task with one local activity, whatever the number of regions. A database of this module's own
(what is owed is its alone). The per-region calendars of the code before replay from their
recorded histories (tests/workflows/test_calendar_replay.py)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.calendar_moments import moment_of
from db.models import Payment, PaymentRun, Task
from domain.calendar import AGENCY_TZ
from payloads.calendars import AllPayoutCalendarInput, PayoutCalendarInput, PayoutRegion
from payloads.tasks import CompleteTaskInput
from policy import PolicyBook
from tests.conftest import ROOT
from tests.utils import template_database
from tests.utils.policy_variants import book_with_payout_day
from tests.utils.temporal import (
    CONVERTER,
    advance,
    calendar_waiting,
    continued_as_new,
    eventually,
    local_activities,
    scheduled_activities,
    tasks_per_moment,
    today,
)
from worker import create_worker
from workflows import ids
from workflows.calendar_loop import MOMENTS_PER_RUN
from workflows.payment_run import PaymentRunWorkflow
from workflows.payout_calendar import (
    RUN_HOUR,
    AllRegionsPayoutCalendarWorkflow,
    PayoutCalendarWorkflow,
    ensure_payout_calendar,
)

HISTORIES = ROOT / "tests" / "histories" / "calendars"

database_url, engine, settings = (
    template_database.database_url,
    template_database.engine,
    template_database.settings,
)


def _owe(engine: Engine, region: str, now: date, at: datetime) -> None:
    """One pending benefit obligation of the region, owed since a month before `now`."""
    with Session(engine) as session:
        session.add(
            Payment(
                case_id="cal" + uuid.uuid4().hex[:8],
                region_code=region,
                month=1,
                period_start=now - timedelta(days=30),
                period_end=now - timedelta(days=1),
                category="benefit",
                amount=Decimal("1810.00"),
                end_to_end_id="CAL" + uuid.uuid4().hex[:20],
                bank_code="ICBC",
                account_number="6222020200112233446",
                account_name="刘测试",
                created_at=at,
                updated_at=at,
            )
        )
        session.commit()


async def test_calendar_starts_the_payout_day_run_then_waits_for_the_next(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, book: PolicyBook, engine: Engine
) -> None:
    """Policy 330100: payout day 10 of each month (illustrative figures)."""
    region = "330100"
    _owe(engine, region, await today(env), await env.get_current_time())
    await ensure_payout_calendar(env.client, task_queue, only=[region])
    await ensure_payout_calendar(env.client, task_queue, only=[region])  # idempotent
    now = await today(env)
    day = now if now.day < 10 else (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    payout = day.replace(day=10)
    await advance(env, (payout - now).days + 1)
    run = env.client.get_workflow_handle(ids.payment_run(ids.payment_run_id(region, payout)))
    for _ in range(200):
        try:
            desc = await run.describe()
            break
        except Exception:
            await asyncio.sleep(0.05)
    else:
        raise AssertionError("the payout day's run was not started")
    assert desc.workflow_type == "PaymentRunWorkflow"
    calendar = await env.client.get_workflow_handle(ids.PAYOUT_CALENDAR).describe()
    assert calendar.status is not None and calendar.status.name == "RUNNING"


async def test_a_run_that_ends_after_the_calendar_moved_on_does_not_stop_the_clock(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, engine: Engine
) -> None:
    """The calendar goes on to the next payout day once it started the run; the run (waiting
    for finance) ends later. Started as an abandoned child, that end was reported to a closed
    parent and simulated time never moved again; started by an activity, nothing is."""
    region = "330100"
    now = await today(env)
    day = now if now.day < 10 else (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    payout = day.replace(day=10)
    run_id = ids.payment_run_id(region, payout)
    at = await env.get_current_time()
    with Session(engine) as session:  # forget a run of that day made before (none here)
        session.execute(delete(PaymentRun).where(col(PaymentRun.run_id) == run_id))
        session.commit()
    _owe(engine, region, now, at)  # one obligation, so the run waits for its release
    await ensure_payout_calendar(env.client, task_queue, only=[region])
    await advance(env, (payout - now).days + 2)  # the run waits; the calendar moved on
    release = await eventually(lambda: _task(engine, ids.payment_run(run_id)))
    run = env.client.get_workflow_handle(ids.payment_run(run_id))
    await run.execute_update(
        PaymentRunWorkflow.complete_task,
        CompleteTaskInput(
            task_id=release, outcome="hold", actor="finance", actor_roles=["finance"]
        ),
    )
    assert (await run.result())["status"] == "held"
    before = await env.get_current_time()
    await asyncio.wait_for(advance(env, 3), 60)  # a generous bound: it hung for good before
    assert await env.get_current_time() - before >= timedelta(days=3)


async def test_a_payout_day_with_nothing_owed_in_the_region_starts_no_run(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, engine: Engine
) -> None:
    """Nothing owed in 330100 (only in 220100): its payout day passes without a payment run
    (no workflow, no `empty` row), and the calendar goes on to the next payout day."""
    region = "330100"
    now = await today(env)
    _owe(engine, "220100", now, await env.get_current_time())  # another region's, not gathered
    day = now if now.day < 10 else (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    payout = day.replace(day=10)
    run_id = ids.payment_run_id(region, payout)
    await ensure_payout_calendar(env.client, task_queue, only=[region])
    calendar: WorkflowHandle[Any, Any] = env.client.get_workflow_handle(ids.PAYOUT_CALENDAR)
    first = env.client.get_workflow_handle(calendar.id, run_id=(await calendar.describe()).run_id)
    await advance(env, (payout - now).days + 2)  # past the payout moment and the day after
    history = await calendar_waiting(first, 2)  # the first look-up, and the payout day's
    assert _moments(history) == 1  # the next payout day's looked up with the start
    assert tasks_per_moment(history) == [1]
    await _replayer().replay_workflow(history)
    # (payout_calendar_nothing_owed.json, payout_calendar_loop_nothing_owed.json: the
    # per-region calendars of the code before, a month per run and `calendar-loop`)
    _keep("payout_calendar_all_nothing_owed", history)
    with pytest.raises(RPCError):  # no run of the day was started
        await env.client.get_workflow_handle(ids.payment_run(run_id)).describe()
    with Session(engine) as session:
        assert session.get(PaymentRun, run_id) is None
    desc = await calendar.describe()
    assert desc.status is not None and desc.status.name == "RUNNING"


async def test_one_run_of_the_calendar_starts_three_payout_days_runs(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, engine: Engine
) -> None:
    """Issue 9 §8: three payout days, each day's run started at 09:00, all by the calendar's
    first run: at each moment ONE local activity starts what is due and looks up the next
    payout day, inside ONE workflow task, which also starts the timer to the next; no activity
    task, no continue-as-new a month."""
    region = "330100"
    await ensure_payout_calendar(env.client, task_queue, only=[region])
    calendar: WorkflowHandle[Any, Any] = env.client.get_workflow_handle(ids.PAYOUT_CALENDAR)
    first_run = (await calendar.describe()).run_id
    for _ in range(3):
        now = await today(env)
        _owe(engine, region, now, await env.get_current_time())  # a run is due each month
        day = now if now.day < 10 else (now.replace(day=1) + timedelta(days=32)).replace(day=1)
        payout = day.replace(day=10)
        await advance(env, (payout - now).days + 1)
        run = env.client.get_workflow_handle(ids.payment_run(ids.payment_run_id(region, payout)))
        desc = await _described(run)
        assert desc.workflow_type == "PaymentRunWorkflow"
        assert desc.start_time >= datetime.combine(payout, RUN_HOUR, tzinfo=AGENCY_TZ)
    history = await calendar_waiting(
        env.client.get_workflow_handle(calendar.id, run_id=first_run), 4
    )
    assert _moments(history) == 3
    assert tasks_per_moment(history) == [1, 1, 1]  # timer fired: one task, the next timer
    assert (await calendar.describe()).run_id == first_run  # no continue-as-new
    await _replayer().replay_workflow(history)
    _keep("payout_calendar_all_three_months", history)


async def test_two_regions_with_different_payout_days_both_get_their_runs(
    env: WorkflowEnvironment, settings: Any, engine: Engine, task_queue: str, tmp_path: Path
) -> None:
    """The policy's every region in the one calendar (220100 and 330100 on the 10th, 220200
    here on the 20th): each region's run on its own day, 220100's and 330100's in the same
    moment (330100 owes nothing: skipped); an earlier deployment's per-region calendar is
    terminated when the one calendar is ensured."""
    book = book_with_payout_day(tmp_path, "220200", 20)
    now = await today(env)
    at = await env.get_current_time()
    _owe(engine, "220100", now, at)
    _owe(engine, "220200", now, at)
    month = now if now.day < 10 else (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    tenth, twentieth = month.replace(day=10), month.replace(day=20)
    async with create_worker(
        env.client, settings=settings, engine=engine, book=book, task_queue=task_queue
    ):
        earlier = await env.client.start_workflow(
            PayoutCalendarWorkflow.run,
            PayoutCalendarInput(region_code="220100"),
            id=ids.payout_calendar("220100"),
            task_queue=task_queue,
        )
        # terminated once it waits for its timer (the time-skipping server's time stays locked
        # when a workflow task in progress is cut short)
        await eventually_async(lambda: _waiting(earlier))
        await ensure_payout_calendar(env.client, task_queue, earlier=book.codes())
        await ensure_payout_calendar(env.client, task_queue, earlier=book.codes())  # idempotent
        gone = await earlier.describe()
        assert gone.status is not None and gone.status.name == "TERMINATED"
        calendar: WorkflowHandle[Any, Any] = env.client.get_workflow_handle(ids.PAYOUT_CALENDAR)
        first = env.client.get_workflow_handle(
            calendar.id, run_id=(await calendar.describe()).run_id
        )
        await advance(env, (twentieth - now).days + 1)
        for region, day in (("220100", tenth), ("220200", twentieth)):
            run = env.client.get_workflow_handle(ids.payment_run(ids.payment_run_id(region, day)))
            desc = await _described(run)
            assert desc.start_time >= datetime.combine(day, RUN_HOUR, tzinfo=AGENCY_TZ)
        with pytest.raises(RPCError):  # 330100 owes nothing
            await env.client.get_workflow_handle(
                ids.payment_run(ids.payment_run_id("330100", tenth))
            ).describe()
        history = await calendar_waiting(first, 3)
    assert _moments(history) == 2  # the 10th (two regions) and the 20th: one task each
    assert tasks_per_moment(history) == [1, 1]
    await _replayer().replay_workflow(history)
    _keep("payout_calendar_all_two_regions", history)


async def test_a_failing_region_does_not_stop_the_others_run(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, engine: Engine
) -> None:
    """A region whose look-up fails (999999: no policy) is retried, backing off, while
    330100's payout day starts its run as due (the moment's own tests:
    tests/activities/test_calendar_moments.py, a failed start kept and retried)."""
    region = "330100"
    now = await today(env)
    _owe(engine, region, now, await env.get_current_time())
    day = now if now.day < 10 else (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    payout = day.replace(day=10)
    await ensure_payout_calendar(env.client, task_queue, only=["999999", region])
    await advance(env, (payout - now).days + 1)
    run = env.client.get_workflow_handle(ids.payment_run(ids.payment_run_id(region, payout)))
    desc = await _described(run)
    assert desc.start_time >= datetime.combine(payout, RUN_HOUR, tzinfo=AGENCY_TZ)
    calendar = await env.client.get_workflow_handle(ids.PAYOUT_CALENDAR).describe()
    assert calendar.status is not None and calendar.status.name == "RUNNING"


async def test_a_late_wake_still_starts_the_missed_payout_day(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, engine: Engine
) -> None:
    """The calendar waking days after a payout day (a worker down meanwhile: its timer's
    moment long past) starts that day's run at once, cutoff the missed day, then waits for the
    next payout day after today."""
    region = "330100"
    now = await today(env)
    missed = now.replace(day=10) if now.day > 10 else (now.replace(day=1) - timedelta(1))
    missed = missed.replace(day=10)
    _owe(engine, region, missed, await env.get_current_time())
    calendar = await env.client.start_workflow(
        AllRegionsPayoutCalendarWorkflow.run,
        AllPayoutCalendarInput(
            regions={region: PayoutRegion(day=missed)}, next_at=moment_of(missed), only=[region]
        ),
        id=ids.PAYOUT_CALENDAR,
        task_queue=task_queue,
    )
    run = env.client.get_workflow_handle(ids.payment_run(ids.payment_run_id(region, missed)))
    desc = await _described(run)
    assert desc.start_time.astimezone(AGENCY_TZ).date() == now  # late, but started
    history = await calendar_waiting(calendar, 1)
    assert _moments(history, carried=True) == 1
    timer = history.events[-1].timer_started_event_attributes.start_to_fire_timeout
    wake = history.events[-1].event_time.ToDatetime() + timer.ToTimedelta()
    assert wake.date() > now and wake.day in (9, 10)  # the next 10th, 09:00 China time (UTC)


async def _waiting(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether the workflow waits on a timer (its last event)."""
    events = (await handle.fetch_history()).events
    return events[-1].HasField("timer_started_event_attributes")


async def eventually_async(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(1200):  # a generous bound for a loaded machine
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met")


async def _described(handle: WorkflowHandle[Any, Any]) -> Any:
    for _ in range(1200):  # a generous bound for a loaded machine
        try:
            return await handle.describe()
        except RPCError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} was not started")


MOMENT = "start_due_payment_runs"  # a moment's one local activity


def _moments(history: WorkflowHistory, *, carried: bool = False) -> int:
    """How many moments passed after the run's first look-up (itself a moment, unless the
    regions' days were `carried`): one local activity each, no activity task at all."""
    assert scheduled_activities(history) == []
    names = local_activities(history)
    assert names and set(names) == {MOMENT}
    return len(names) - (0 if carried else 1)


def _replayer() -> Replayer:
    return Replayer(workflows=[AllRegionsPayoutCalendarWorkflow], data_converter=CONVERTER)


def _keep(name: str, history: WorkflowHistory) -> None:
    if os.environ.get("RECORD_HISTORIES"):  # replayed by tests/workflows/test_calendar_replay.py
        (HISTORIES / f"{name}.json").write_text(history.to_json())


def _task(engine: Engine, workflow_id: str) -> str:
    with Session(engine) as session:
        row = session.exec(select(Task).where(Task.workflow_id == workflow_id)).first()
        return row.task_id if row else ""


async def test_the_calendar_continues_as_new_after_twelve_moments_with_the_days_carried(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """A run covers MOMENTS_PER_RUN moments (its first look-up one of them), then continues
    as new with each region's next day and the next moment carried (the new run looks nothing
    up first and starts what is due at that moment)."""
    region = "330100"  # nothing owed: each day skipped, the clock goes on
    await ensure_payout_calendar(env.client, task_queue, only=[region])
    calendar: WorkflowHandle[Any, Any] = env.client.get_workflow_handle(ids.PAYOUT_CALENDAR)
    first = env.client.get_workflow_handle(calendar.id, run_id=(await calendar.describe()).run_id)
    await advance(env, 31 * (MOMENTS_PER_RUN + 1) + 2)
    history = await continued_as_new(first)
    assert _moments(history) == MOMENTS_PER_RUN - 1
    assert tasks_per_moment(history) == [1] * (MOMENTS_PER_RUN - 1)  # the last: continue-as-new
    second = env.client.get_workflow_handle(
        calendar.id,
        run_id=history.events[
            -1
        ].workflow_execution_continued_as_new_event_attributes.new_execution_run_id,
    )
    following = await calendar_waiting(second, 1)
    moments = _moments(following, carried=True)  # the days carried: no look-up first
    assert moments >= 1
    assert tasks_per_moment(following) == [1] * moments
    replayer = _replayer()
    await replayer.replay_workflow(history)
    await replayer.replay_workflow(following)
    _keep("payout_calendar_all_twelve_moments", history)
    _keep("payout_calendar_all_carried_days", following)
