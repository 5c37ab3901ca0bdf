"""A benefit month priced again after a policy reload (its local steps run again: a worker
killed after create_obligation committed, before the workflow task was recorded) finds the
ledger's row, keyed by case, month and category (DOMAIN.md "Money": a month is paid at most
once). The case then records the amount the ledger holds, not the new price: the month's
amount and its `payment_owed` event say what the bank will be sent (`month-owed-as-ledger`)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.ledger import LedgerActivities
from db.models import CaseEvent, Payment
from payloads.case_io import CheckInInput
from payloads.records import ObligationInput
from tests.utils.temporal import advance, eventually, state_when, today
from tests.workflows.test_replay import _approved
from workflows.claim import ClaimWorkflow

FIRST = Decimal("700.00")  # the month's price under the policy before the reload


async def test_a_month_owed_again_records_the_ledgers_amount(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, engine: Engine
) -> None:
    """Month 2's obligation already in the ledger at the first attempt's price (700.00); the
    month priced again at today's policy (755.00) is owed once, and the case shows 700.00."""
    h = await _approved(env, task_queue, "ol")
    s = await state_when(h, lambda s: s.benefit is not None)
    assert s.benefit is not None
    month = s.benefit.months[1]
    ActivityEnvironment().run(
        LedgerActivities(engine).create_obligation,
        ObligationInput(
            case_id=s.case_id,
            region_code=s.region_code or "220100",
            month=2,
            period_start=month.start,
            period_end=month.end,
            category="benefit",
            amount=FIRST,
            at=await env.get_current_time(),
        ),
    )
    await advance(env, (month.start - await today(env)).days + 1)
    latest = env.client.get_workflow_handle(h.id)
    await state_when(latest, lambda s: s.benefit is not None and s.benefit.current == 2)
    await latest.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    s = await state_when(latest, lambda s: s.benefit is not None and s.benefit.months[1].owed)
    assert s.benefit is not None
    assert s.benefit.months[0].amount == Decimal("755.00")  # month 1: priced once, as owed
    assert s.benefit.months[1].amount == FIRST
    owed = await eventually(lambda: _owed_events(engine, s.case_id), lambda e: len(e) == 2)
    assert owed == [(1, "755.00"), (2, "700.00")]
    with Session(engine) as session:
        rows = session.exec(select(Payment).where(Payment.case_id == s.case_id)).all()
    assert sorted((p.month, p.amount) for p in rows) == [(1, Decimal("755.00")), (2, FIRST)]


def _owed_events(engine: Engine, case_id: str) -> list[tuple[int, str]]:
    with Session(engine) as session:
        stmt = select(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.type == "payment_owed"
        )
        rows = session.exec(stmt.order_by(col(CaseEvent.seq))).all()
    return [(e.data["month"], e.data["amount"]) for e in rows]
