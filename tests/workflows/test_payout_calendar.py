"""The payout calendar starts each payout day's payment run on durable timers, so the
trigger works on the time-skipping server (which has no Schedules) as on a real cluster; a
region owing nothing that day gets no run (issue 9 §8: the regions without cases cost a
simulated stack nothing each month). A database of each test's own (what is owed is its
alone)."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from db.models import Payment, PaymentRun, Task
from domain.calendar import AGENCY_TZ
from payloads.tasks import CompleteTaskInput
from policy import PolicyBook
from tests.conftest import ROOT
from tests.utils import template_database
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
from workflows import ids
from workflows.calendar_loop import MOMENTS_PER_RUN
from workflows.payment_run import PaymentRunWorkflow
from workflows.payout_calendar import (
    RUN_HOUR,
    PayoutCalendarWorkflow,
    ensure_payout_calendars,
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
    await ensure_payout_calendars(env.client, [region], task_queue)
    await ensure_payout_calendars(env.client, [region], task_queue)  # idempotent
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
    calendar = await env.client.get_workflow_handle(ids.payout_calendar(region)).describe()
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
    await ensure_payout_calendars(env.client, [region], task_queue)
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
    await ensure_payout_calendars(env.client, [region], task_queue)
    calendar: WorkflowHandle[Any, Any] = env.client.get_workflow_handle(ids.payout_calendar(region))
    first = env.client.get_workflow_handle(calendar.id, run_id=(await calendar.describe()).run_id)
    await advance(env, (payout - now).days + 2)  # past the payout moment and the day after
    history = await calendar_waiting(first, 1)
    assert _moments(history) == [MOMENT]  # the next payout day's looked up with the start
    assert tasks_per_moment(history) == [1]
    await Replayer(workflows=[PayoutCalendarWorkflow], data_converter=CONVERTER).replay_workflow(
        history
    )
    # (payout_calendar_nothing_owed.json: the code before `calendar-loop`, a month per run)
    if os.environ.get("RECORD_HISTORIES"):  # replayed by tests/workflows/test_calendar_replay.py
        (HISTORIES / "payout_calendar_loop_nothing_owed.json").write_text(history.to_json())
    with pytest.raises(RPCError):  # no run of the day was started
        await env.client.get_workflow_handle(ids.payment_run(run_id)).describe()
    with Session(engine) as session:
        assert session.get(PaymentRun, run_id) is None
    desc = await calendar.describe()
    assert desc.status is not None and desc.status.name == "RUNNING"


async def test_one_run_of_the_calendar_starts_three_payout_days_runs(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, engine: Engine
) -> None:
    """Issue 9 §8 (`calendar-loop`): three payout days, each day's run started at 09:00, all
    by the calendar's first run: at each moment the start and the next payout day's look-up
    run together as local activities inside ONE workflow task, which also starts the timer to
    the next; no activity task, no continue-as-new a month."""
    region = "330100"
    await ensure_payout_calendars(env.client, [region], task_queue)
    calendar: WorkflowHandle[Any, Any] = env.client.get_workflow_handle(ids.payout_calendar(region))
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
        env.client.get_workflow_handle(calendar.id, run_id=first_run), 3
    )
    assert _moments(history) == [MOMENT] * 3
    assert tasks_per_moment(history) == [1, 1, 1]  # timer fired: one task, the next timer
    assert (await calendar.describe()).run_id == first_run  # no continue-as-new
    await Replayer(workflows=[PayoutCalendarWorkflow], data_converter=CONVERTER).replay_workflow(
        history
    )
    if os.environ.get("RECORD_HISTORIES"):  # replayed by tests/workflows/test_calendar_replay.py
        (HISTORIES / "payout_calendar_loop_three_months.json").write_text(history.to_json())


async def _described(handle: WorkflowHandle[Any, Any]) -> Any:
    for _ in range(1200):  # a generous bound for a loaded machine
        try:
            return await handle.describe()
        except RPCError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} was not started")


MOMENT = ["next_payout_day", "start_payment_run_if_due"]  # sorted: they finish in any order


def _moments(history: WorkflowHistory, *, carried: bool = False) -> list[list[str]]:
    """The local activities of each moment after the run's first look-up (asserted here; none
    when the day is `carried`), each sorted; no activity task at all (`calendar-loop`)."""
    assert scheduled_activities(history) == []
    names = local_activities(history)
    if not carried:
        assert names[0] == "next_payout_day"
    first = 0 if carried else 1
    return [sorted(names[i : i + 2]) for i in range(first, len(names), 2)]


def _task(engine: Engine, workflow_id: str) -> str:
    with Session(engine) as session:
        row = session.exec(select(Task).where(Task.workflow_id == workflow_id)).first()
        return row.task_id if row else ""


async def test_the_calendar_continues_as_new_after_twelve_payout_days_with_the_next_one(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """`calendar-loop`: a run covers MOMENTS_PER_RUN payout days, then continues as new with
    the next day carried (the new run looks nothing up first and starts it at its moment)."""
    region = "330100"  # nothing owed: each day skipped, the clock goes on
    await ensure_payout_calendars(env.client, [region], task_queue)
    calendar: WorkflowHandle[Any, Any] = env.client.get_workflow_handle(ids.payout_calendar(region))
    first = env.client.get_workflow_handle(calendar.id, run_id=(await calendar.describe()).run_id)
    await advance(env, 31 * (MOMENTS_PER_RUN + 1) + 2)
    history = await continued_as_new(first)
    assert _moments(history) == [MOMENT] * MOMENTS_PER_RUN
    assert tasks_per_moment(history) == [1] * MOMENTS_PER_RUN  # the last: continue-as-new
    second = env.client.get_workflow_handle(
        calendar.id,
        run_id=history.events[
            -1
        ].workflow_execution_continued_as_new_event_attributes.new_execution_run_id,
    )
    following = await calendar_waiting(second, 1)
    moments = _moments(following, carried=True)  # the day carried: no look-up first
    assert moments and moments == [MOMENT] * len(moments)
    assert tasks_per_moment(following) == [1] * len(moments)
    replayer = Replayer(workflows=[PayoutCalendarWorkflow], data_converter=CONVERTER)
    await replayer.replay_workflow(history)
    await replayer.replay_workflow(following)
    if os.environ.get("RECORD_HISTORIES"):  # replayed by tests/workflows/test_calendar_replay.py
        (HISTORIES / "payout_calendar_loop_twelve_days.json").write_text(history.to_json())
        (HISTORIES / "payout_calendar_loop_carried_day.json").write_text(following.to_json())
