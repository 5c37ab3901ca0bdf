"""The payout calendar starts each payout day's payment run on durable timers, so the
trigger works on the time-skipping server (which has no Schedules) as on a real cluster."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from policy import PolicyBook
from tests.utils.temporal import advance, today
from workflows.payout_calendar import ensure_payout_calendars, run_id_for


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
    run = env.client.get_workflow_handle(f"payment-run-{run_id_for(region, payout)}")
    for _ in range(200):
        try:
            desc = await run.describe()
            break
        except Exception:
            await asyncio.sleep(0.05)
    else:
        raise AssertionError("the payout day's run was not started")
    assert desc.workflow_type == "PaymentRunWorkflow"
    calendar = await env.client.get_workflow_handle(f"payout-calendar-{region}").describe()
    assert calendar.status is not None and calendar.status.name == "RUNNING"
