"""Issue 9 §8: the daily reconciliation matches each day inside `reconciliation-daily` (no
workflow per day: thousands for two simulated years); only a day with a mismatch gets its
`reconcile-<day>` workflow, whose task finance sees. Real parts: the worker, the simulated bank
over HTTP on the test server's clock, a database of the test's own (the days are its alone)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from db.models import Payment, ReconciliationRecord, Task
from domain.calendar import AGENCY_TZ
from tests.utils import own_database
from tests.utils.temporal import advance, eventually, today
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import Stack
from workflows import ids
from workflows.reconciliation import ensure_daily_reconciliation

database_url, engine, settings = (
    own_database.database_url,
    own_database.engine,
    own_database.settings,
)
stack = test_payment_run.stack


def _days(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {r.day.isoformat(): r.status for r in session.exec(select(ReconciliationRecord))}


async def test_quiet_days_are_matched_inline_and_a_mismatch_gets_its_own_workflow(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    now = (await env.get_current_time()).astimezone(AGENCY_TZ)
    seven = now.replace(hour=7, minute=0, second=0, microsecond=0)
    if now < seven:  # start the days after 06:00
        await advance(env, (seven - now).total_seconds() / 86400)
    first = await today(env)
    odd = first + timedelta(days=1)  # the ledger paid 755.00 that day; the bank booked nothing
    at = datetime.now(AGENCY_TZ)
    with Session(engine) as session:
        session.add(
            Payment(
                case_id="inline-test",
                region_code="220100",
                month=1,
                period_start=odd - timedelta(days=30),
                period_end=odd,
                category="benefit",
                amount=Decimal("755.00"),
                status="settled",
                settled_on=odd,
                end_to_end_id="INLINE0000000000000001",
                created_at=at,
                updated_at=at,
            )
        )
        session.commit()
    async with stack.worker():
        await ensure_daily_reconciliation(env.client, task_queue)
        await advance(env, 3)
        wanted = {(first + timedelta(days=n)).isoformat() for n in range(3)}
        days = await eventually(partial(_days, engine), lambda d: wanted <= set(d))
        assert [days[(first + timedelta(days=n)).isoformat()] for n in range(3)] == [
            "reconciled",
            "mismatched",
            "reconciled",
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
