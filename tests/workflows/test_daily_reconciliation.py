"""The daily reconciliation timer on the time-skipping server (simulated mode runs it too):
at 06:00 China time the days before are matched against the bank statement, each day its own
record: every morning while payments are at the bank (and the first morning), quiet days a
week together (test_daily_reconciliation_inline.py has the rest)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from db.models import ReconciliationRecord
from domain.calendar import AGENCY_TZ
from tests.utils.temporal import advance, eventually, today
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import Stack
from workflows.reconciliation import QUIET_DAYS, ensure_daily_reconciliation

stack = test_payment_run.stack  # our API and worker, and the bank on the test server's clock


def _has(engine: Engine, day: str) -> bool:
    return day in _days(engine)


def _days(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.exec(select(ReconciliationRecord)).all()
        return {r.day.isoformat(): r.status for r in rows}


async def test_daily_timer_reconciles_each_past_day_and_time_keeps_moving(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    now = (await env.get_current_time()).astimezone(AGENCY_TZ)
    seven = now.replace(hour=7, minute=0, second=0, microsecond=0)
    if now < seven:  # the server starts at the real time: start the days after 06:00
        await advance(env, (seven - now).total_seconds() / 86400)
    first = await today(env)
    async with stack.worker():
        await ensure_daily_reconciliation(env.client, task_queue, quiet_days=QUIET_DAYS)
        await ensure_daily_reconciliation(
            env.client, task_queue, quiet_days=QUIET_DAYS
        )  # idempotent
        await advance(env, 1)  # the first morning: the first day
        await eventually(partial(_has, engine, first.isoformat()))
        await advance(env, 7)  # a week on: the next seven days, quiet or not
        await eventually(partial(_has, engine, (first + timedelta(days=7)).isoformat()))
    days = _days(engine)
    assert [days[(first + timedelta(days=n)).isoformat()] for n in range(8)] == ["reconciled"] * 8
