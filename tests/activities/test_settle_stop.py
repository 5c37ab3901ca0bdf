"""settle_stop (activities/stops.py) on the real database: each benefit month by what became
of its money (seed 000 art. 26; DOMAIN.md "Benefit months"), in one transaction with the
stop's determination, and a retry changes nothing (rows as the ledger activities write them)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import ActivityEnvironment

from activities.ledger import end_to_end_id
from activities.stops import StopActivities
from db.models import Payment
from domain.entitlement import benefit_month_period
from payloads.stops import SettleStopInput

AT = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
START = date(2026, 6, 15)
M = Decimal("755.00")


def _rows(engine: Engine, case_id: str) -> None:
    """Month 1 settled, month 2 returned by the bank (awaiting finance), month 3 in a run
    awaiting release, month 4 pending in no run."""
    states = [("settled", "run-a"), ("returned", "run-b"), ("pending", "run-c"), ("pending", None)]
    with Session(engine) as session:
        for i, (status, run_id) in enumerate(states, start=1):
            start, end = benefit_month_period(START, i)
            session.add(
                Payment(
                    case_id=case_id,
                    region_code="220100",
                    month=i,
                    period_start=start,
                    period_end=date.fromordinal(end.toordinal() - 1),
                    category="benefit",
                    amount=M,
                    status=status,
                    run_id=run_id,
                    end_to_end_id=end_to_end_id(case_id, i, "benefit", 1),
                    created_at=AT,
                    updated_at=AT,
                )
            )
        session.commit()


def test_each_month_by_what_became_of_its_money_and_a_retry_changes_nothing(
    engine: Engine,
) -> None:
    case_id = "st" + uuid.uuid4().hex[:10]
    _rows(engine, case_id)
    m2_start, m2_end = benefit_month_period(START, 2)
    day = date(2026, 7, 25)  # day 11 of month 2 (2026-07-15 to 08-14, 31 days)
    inp = SettleStopInput(
        key=f"{case_id}:stop_event",
        case_id=case_id,
        type="reemployed",
        effective_date=day,
        proration="daily",
        rounding="half_up",
        actor="clerk",
        at=AT,
        policy_version="220100@test",
        evidence="劳动合同 1",
    )
    act = StopActivities(engine)
    first = ActivityEnvironment().run(act.settle_stop, inp)
    again = ActivityEnvironment().run(act.settle_stop, inp)
    assert again == first
    due2 = (M * 10 / 31).quantize(Decimal("0.01"))
    assert [m["action"] for m in first.months] == ["keep", "prorate", "overpaid", "cancel"]
    assert first.overpayment == M  # month 3, in a run: gone
    assert first.last_paid_day == date(2026, 7, 24)
    with Session(engine) as session:
        stmt = select(Payment).where(Payment.case_id == case_id).order_by(col(Payment.month))
        rows = [(p.status, p.amount) for p in session.exec(stmt)]
    assert rows == [("settled", M), ("returned", due2), ("pending", M), ("cancelled", M)]
    assert (m2_start, m2_end) == (date(2026, 7, 15), date(2026, 8, 15))
