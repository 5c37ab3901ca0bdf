"""Replay of the calendar workflows (the one payout calendar, the per-region ones of the code
before, the daily reconciliation timer) and of a day's reconciliation with a mismatch: recorded
histories in tests/histories/calendars/ must replay on today's code.

Record with `RECORD_HISTORIES=1 make test PYTEST_ARGS=tests/workflows/test_calendar_replay.py`."""

from __future__ import annotations

import asyncio
import os
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from db.models import Payment, ReconciliationRecord, Task
from payloads.reconciliation import ReconcileDayInput
from payloads.tasks import CompleteTaskInput
from tests.conftest import ROOT
from tests.utils.ledger_rows import unbooked_settlement
from tests.utils.temporal import CONVERTER, advance, calendar_waiting, continued_as_new, today
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import Stack
from workflows import ids
from workflows.payout_calendar import (
    AllRegionsPayoutCalendarWorkflow,
    PayoutCalendarWorkflow,
    ensure_payout_calendar,
)
from workflows.reconciliation import (
    DAYS_PER_RUN,
    QUIET_DAYS,
    DailyReconciliationWorkflow,
    ReconciliationWorkflow,
    ensure_daily_reconciliation,
)

HISTORIES = ROOT / "tests" / "histories" / "calendars"
stack = test_payment_run.stack  # our API and worker, and the bank on the test server's clock


def _replayer() -> Replayer:
    return Replayer(
        workflows=[
            AllRegionsPayoutCalendarWorkflow,
            PayoutCalendarWorkflow,  # the per-region calendars of the code before
            DailyReconciliationWorkflow,
            ReconciliationWorkflow,
        ],
        data_converter=CONVERTER,
    )


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_recorded_calendar_history_replays_on_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json("recorded", path.read_text())
    await _replayer().replay_workflow(history)


async def _first_run_closed(env: WorkflowEnvironment, workflow_id: str) -> WorkflowHistory:
    """The history of the workflow's first run, once it has continued as new."""
    latest: WorkflowHandle[Any, Any] = env.client.get_workflow_handle(workflow_id)
    run_id = (await latest.describe()).raw_description.workflow_execution_info.first_run_id
    return await continued_as_new(env.client.get_workflow_handle(workflow_id, run_id=run_id))


def _keep(name: str, history: WorkflowHistory) -> WorkflowHistory:
    if os.environ.get("RECORD_HISTORIES"):
        HISTORIES.mkdir(parents=True, exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())
    return history


async def test_fresh_calendar_histories_replay(
    env: WorkflowEnvironment, stack: Stack, task_queue: str
) -> None:
    """A payout day's run started, the calendar waiting for the next in the same run, and days
    reconciled (quiet ones a week together), followed by continue-as-new."""
    region = "330100"  # payout day 10
    # The test database is shared: other tests' payments and runs of these weeks would make
    # each reconciled day a mismatch (a workflow and tasks each) and this run another's. Three
    # years on, none are met (nothing runs yet on this fresh test server).
    await advance(env, 3 * 366)
    now = await today(env)
    async with stack.worker():
        await ensure_payout_calendar(env.client, task_queue, only=[region])
        await ensure_daily_reconciliation(env.client, task_queue, quiet_days=QUIET_DAYS)
        month = now if now.day < 10 else now.replace(day=28) + timedelta(days=4)
        payout = month.replace(day=10)
        # past the payout day, and past the daily timer's first run of DAYS_PER_RUN wakes (a
        # week apart while no payment is at the bank)
        await advance(env, max((payout - now).days, DAYS_PER_RUN * QUIET_DAYS) + 2)
        calendar = await calendar_waiting(  # its first look-up, then the payout day
            env.client.get_workflow_handle(ids.PAYOUT_CALENDAR), 2
        )
        daily = await _first_run_closed(env, ids.DAILY_RECONCILIATION)
    # (payout_calendar_run_started.json: a region's calendar of the code before `calendar-loop`,
    # one payout day per run and continue-as-new a day after; payout_calendar_loop_run_started:
    # a region's calendar of `calendar-loop`; both replay on the old class)
    await _replayer().replay_workflow(_keep("payout_calendar_all_run_started", calendar))
    # (daily_reconciliation_day_started.json: a run of the code before the `reconcile-inline`
    # patch, one day per run and a workflow started for it; daily_reconciliation_days_matched:
    # before `reconcile-quiet-days`, a wake every morning; both replay on the old branch)
    await _replayer().replay_workflow(_keep("daily_reconciliation_quiet_days", daily))


async def test_fresh_reconciliation_history_with_a_mismatch_replays(
    env: WorkflowEnvironment, stack: Stack, task_queue: str, engine: Engine
) -> None:
    """A day whose ledger holds a payment the statement lacks: a mismatch task for finance,
    resolved, and the workflow ends `resolved`."""
    day = date(1990, 1, 1) + timedelta(days=random.randrange(3650))  # nobody else's day
    at = await env.get_current_time()
    e2e = unbooked_settlement(engine, day, prefix="RPL", at=at)
    try:
        async with stack.worker():
            handle = await env.client.start_workflow(
                ReconciliationWorkflow.run,
                ReconcileDayInput(day=day),
                id=ids.day_reconciliation(day),
                task_queue=task_queue,
            )
            task_id = ids.mismatch_task(day, e2e)
            for _ in range(1200):  # a generous bound for a loaded machine
                with Session(engine) as session:
                    if session.get(Task, task_id) is not None:
                        break
                await asyncio.sleep(0.05)
            await handle.execute_update(
                ReconciliationWorkflow.complete_task,
                CompleteTaskInput(
                    task_id=task_id,
                    outcome="resolved",
                    actor="finance",
                    actor_roles=["finance"],
                    reason="bank booked it a day late",
                ),
            )
            assert await handle.result() == "resolved"
        await _replayer().replay_workflow(
            _keep("reconciliation_mismatch_resolved", await handle.fetch_history())
        )
    finally:
        with Session(engine) as session:
            session.execute(delete(Payment).where(col(Payment.end_to_end_id) == e2e))
            session.execute(
                delete(Task).where(col(Task.workflow_id) == ids.day_reconciliation(day))
            )
            session.execute(
                delete(ReconciliationRecord).where(col(ReconciliationRecord.day) == day)
            )
            session.commit()
