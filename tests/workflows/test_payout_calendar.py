"""The payout calendar starts each payout day's payment run on durable timers, so the
trigger works on the time-skipping server (which has no Schedules) as on a real cluster."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from db.models import Payment, PaymentRun, Task
from payloads.tasks import CompleteTaskInput
from policy import PolicyBook
from tests.utils.temporal import advance, eventually, today
from workflows import ids
from workflows.payment_run import PaymentRunWorkflow
from workflows.payout_calendar import ensure_payout_calendars


async def test_calendar_starts_the_payout_day_run_then_waits_for_the_next(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, book: PolicyBook
) -> None:
    """Policy 330100: payout day 10 of each month (illustrative figures)."""
    region = "330100"
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
    """The calendar continues as new a day after it started the run; the run (waiting for
    finance) ends later. Started as an abandoned child, that end was reported to a closed
    parent and simulated time never moved again; started by an activity, nothing is."""
    region = "330100"
    now = await today(env)
    day = now if now.day < 10 else (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    payout = day.replace(day=10)
    run_id = ids.payment_run_id(region, payout)
    at = await env.get_current_time()
    with Session(engine) as session:  # one obligation, so the run waits for its release
        # the database outlives each test's server: forget a run of that day made before
        session.execute(delete(PaymentRun).where(col(PaymentRun.run_id) == run_id))
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


def _task(engine: Engine, workflow_id: str) -> str:
    with Session(engine) as session:
        row = session.exec(select(Task).where(Task.workflow_id == workflow_id)).first()
        return row.task_id if row else ""
