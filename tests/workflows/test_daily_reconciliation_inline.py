"""Issue 9 §8: the daily reconciliation matches each day inside `reconciliation-daily` (no
workflow per day: thousands for two simulated years); only a day with a mismatch gets its
`reconcile-<day>` workflow, whose task finance sees. Every morning while payments are at the
bank or were sent (the payment run's `payments_sent` signal); quiet days together, the morning
after a payment is sent or a week after the first of them on the simulated clock (no Temporal
wake every quiet day); on the real clock every day the next morning (日清, seed 000 范文4).
Real parts: the worker, the simulated bank over HTTP on the test server's clock, a database of
the test's own (the days are its alone)."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from db.models import BankMessageSeen, Payment, ReconciliationRecord, Task
from domain.calendar import AGENCY_TZ
from tests.utils import own_database
from tests.utils.temporal import advance, eventually, today
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import Stack
from workflows import ids
from workflows.reconciliation import (
    DAILY,
    QUIET_DAYS,
    DailyReconciliationWorkflow,
    ensure_daily_reconciliation,
)

database_url, engine, settings = (
    own_database.database_url,
    own_database.engine,
    own_database.settings,
)
stack = test_payment_run.stack


def _days(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {r.day.isoformat(): r.status for r in session.exec(select(ReconciliationRecord))}


def _statements(engine: Engine) -> int:
    """How many camt.053 messages were taken (their message IDs, as nonces)."""
    with Session(engine) as session:
        seen = session.exec(select(BankMessageSeen).where(BankMessageSeen.kind == "camt.053"))
        return len(seen.all())


def _has(day: str, days: dict[str, str]) -> bool:
    return day in days


def _payment(e2e: str, day: date, status: str) -> Payment:
    at = datetime.now(AGENCY_TZ)
    return Payment(
        case_id="inline-test" if status == "settled" else "inline-test-2",
        region_code="220100",
        month=1,
        period_start=day - timedelta(days=30),
        period_end=day,
        category="benefit",
        amount=Decimal("755.00"),
        status=status,
        settled_on=day if status == "settled" else None,
        end_to_end_id=e2e,
        created_at=at,
        updated_at=at,
    )


async def test_quiet_days_are_matched_inline_and_a_mismatch_gets_its_own_workflow(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    now = (await env.get_current_time()).astimezone(AGENCY_TZ)
    seven = now.replace(hour=7, minute=0, second=0, microsecond=0)
    if now < seven:  # start the days after 06:00
        await advance(env, (seven - now).total_seconds() / 86400)
    first = await today(env)
    odd = first + timedelta(days=1)  # the ledger paid 755.00 that day; the bank booked nothing
    with Session(engine) as session:
        session.add(_payment("INLINE0000000000000001", odd, "settled"))
        session.commit()
    async with stack.worker():
        await ensure_daily_reconciliation(env.client, task_queue, quiet_days=QUIET_DAYS)

        def day(n: int) -> str:
            return (first + timedelta(days=n)).isoformat()

        await advance(env, 3)  # the first morning, then quiet: the next days wait
        await eventually(partial(_days, engine), lambda d: day(0) in d)
        assert set(_days(engine)) == {day(0)}
        with Session(engine) as session:  # a transfer at the bank from now on
            session.add(_payment("INLINE0000000000000002", first + timedelta(days=3), "sent"))
            session.commit()
        daily = env.client.get_workflow_handle(ids.DAILY_RECONCILIATION)
        await daily.signal(DailyReconciliationWorkflow.payments_sent)
        await advance(env, 1)  # the morning after the signal: the days waiting, together
        days = await eventually(partial(_days, engine), lambda d: day(3) in d)
        assert [days.get(day(n)) for n in range(5)] == [
            "reconciled",
            "mismatched",
            "reconciled",
            "reconciled",
            None,
        ]
        task_id = ids.mismatch_task(odd, "INLINE0000000000000001")
        task = await eventually(lambda: Session(engine).get(Task, task_id))
        assert task is not None
        assert task.workflow_id == ids.day_reconciliation(odd) and task.group == "finance"
        desc = await env.client.get_workflow_handle(ids.day_reconciliation(odd)).describe()
        assert desc.workflow_type == "ReconciliationWorkflow"
        for quiet in (first, first + timedelta(days=2)):  # no workflow for a clean day
            with pytest.raises(RPCError):
                await env.client.get_workflow_handle(ids.day_reconciliation(quiet)).describe()
        await advance(env, 1)  # the transfer is at the bank: the next morning too
        await eventually(partial(_days, engine), lambda d: day(4) in d)
        with Session(engine) as session:  # it is settled, cancelled here (no bank entry)
            row = session.exec(select(Payment).where(Payment.case_id == "inline-test-2")).one()
            row.status = "cancelled"
            session.add(row)
            session.commit()
        await advance(env, 1)  # matched the morning after it left the bank, then quiet
        await eventually(partial(_days, engine), lambda d: day(5) in d)
        await advance(env, 5)  # quiet since first + 6: nothing matched before a week on
        assert day(6) not in _days(engine)
        statements = _statements(engine)
        await advance(env, 2)  # 06:00 on first + 13: first + 6 .. first + 12
        days = await eventually(partial(_days, engine), lambda d: day(12) in d)
        assert {day(n) for n in range(13)} == set(days)
        assert {days[day(n)] for n in range(2, 13)} == {"reconciled"}
        # the week's seven days came in one camt.053 (one signature, one message ID), each
        # still its own record
        assert _statements(engine) == statements + 1


async def test_on_the_real_clock_every_day_is_matched_the_next_morning(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    """日清 (seed 000 范文4): with `DAILY`, what the worker starts on the real clock, a day
    without payments at the bank is matched the next morning all the same, not a week on."""
    daily = env.client.get_workflow_handle(ids.DAILY_RECONCILIATION)
    with contextlib.suppress(RPCError):  # the simulated-clock one of the test before
        await daily.terminate("the real clock's reconciliation from here")
    now = (await env.get_current_time()).astimezone(AGENCY_TZ)
    seven = now.replace(hour=7, minute=0, second=0, microsecond=0)
    await advance(env, ((seven - now).total_seconds() / 86400) % 1)  # to 07:00
    async with stack.worker():
        await ensure_daily_reconciliation(env.client, task_queue, quiet_days=DAILY)
        for _ in range(4):  # no payment anywhere: each morning matches the day before
            await advance(env, 1)
            yesterday = ((await today(env)) - timedelta(days=1)).isoformat()
            days = await eventually(partial(_days, engine), partial(_has, yesterday))
            assert days[yesterday] == "reconciled"
