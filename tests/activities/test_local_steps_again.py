"""The payment run's and the benefit month's local activities (workflows/local_steps.py) run
again: a worker killed inside one, before its result was recorded, makes the next worker run
it again, with a later `at` (the new workflow task's time). Each step is keyed (the run, the
obligation's case, month and category), so running it again changes nothing: no obligation
owed twice or at another amount, none taken into a run it did not gather, a completed run's
end as first recorded (issue 9 §8; DOMAIN.md "Payments": every money movement keyed)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import ActivityEnvironment

from activities.ledger import LedgerActivities
from activities.payments import PaymentActivities
from core.settings import Settings
from db.models import Payment, PaymentRun
from payloads.payments import GatherInput, RunInput, RunStatusInput
from payloads.records import ObligationInput
from policy import PolicyBook
from workflows.claim import ClaimWorkflow

REGION = "220100"
AT = datetime(2019, 3, 1, 2, 0, tzinfo=UTC)
LATER = AT + timedelta(minutes=3)  # the re-run's workflow task
CUTOFF = date(2019, 2, 28)  # months of 2019: no other test's obligations in this run
AMOUNT = Decimal("755.00")


def _owe(engine: Engine, case_id: str, month: int, at: datetime, amount: Decimal) -> str:
    start = date(2019, month, 1)
    e2e: str = ActivityEnvironment().run(
        LedgerActivities(engine).create_obligation,
        ObligationInput(
            case_id=case_id,
            region_code=REGION,
            month=month,
            period_start=start,
            period_end=start + timedelta(days=27),
            category="benefit",
            amount=amount,
            at=at,
        ),
    )
    return e2e


def _payments(engine: Engine, case_id: str) -> list[Payment]:
    with Session(engine) as session:
        stmt = select(Payment).where(Payment.case_id == case_id).order_by(col(Payment.month))
        return list(session.exec(stmt).all())


def _run(engine: Engine, run_id: str) -> PaymentRun:
    with Session(engine) as session:
        run = session.get(PaymentRun, run_id)
        assert run is not None
        return run


def test_a_months_obligation_owed_again_is_the_first_one(engine: Engine) -> None:
    """`_owe`'s create_obligation again (its month_amount priced again after a policy
    reload): the row (case, month, category) found, its amount and time as first owed."""
    case_id = "la" + uuid.uuid4().hex[:10]
    first = _owe(engine, case_id, 1, AT, AMOUNT)
    again = _owe(engine, case_id, 1, LATER, AMOUNT + 100)
    assert again == first
    [row] = _payments(engine, case_id)
    assert (row.amount, row.created_at, row.status) == (AMOUNT, AT, "pending")


def test_a_payment_runs_steps_run_again_change_nothing(
    engine: Engine, settings: Settings, book: PolicyBook
) -> None:
    """gather_run again takes nothing owed since the run was gathered; complete_unless_returned
    and set_run_status("completed") again keep the run's completion time; a late "released"
    does not move a completed run back."""
    case_id = "lb" + uuid.uuid4().hex[:10]
    run_id = f"R{REGION}-{case_id}"
    acts = PaymentActivities(engine, settings, book, tell_case=ClaimWorkflow.payment_update)
    env = ActivityEnvironment()
    _owe(engine, case_id, 1, AT, AMOUNT)
    _owe(engine, case_id, 2, AT, AMOUNT)
    gathered = env.run(acts.gather_run, GatherInput(run_id, REGION, CUTOFF, AT))
    assert gathered.count >= 2
    owed_since = _owe(engine, case_id + "x", 2, LATER, AMOUNT)  # another case, just owed
    again = env.run(acts.gather_run, GatherInput(run_id, REGION, CUTOFF, LATER))
    assert again == gathered
    assert [p.run_id for p in _payments(engine, case_id)] == [run_id, run_id]
    [other] = _payments(engine, case_id + "x")
    assert (other.end_to_end_id, other.run_id) == (owed_since, None)  # the next run's
    assert _run(engine, run_id).created_at == AT

    done_at = LATER + timedelta(days=2)
    assert env.run(acts.complete_unless_returned, RunInput(run_id, done_at)) == []
    assert (_run(engine, run_id).status, _run(engine, run_id).completed_at) == (
        "completed",
        done_at,
    )
    rerun_at = done_at + timedelta(minutes=3)
    assert env.run(acts.complete_unless_returned, RunInput(run_id, rerun_at)) == []
    env.run(acts.set_run_status, RunStatusInput(run_id, "completed", rerun_at))
    env.run(acts.set_run_status, RunStatusInput(run_id, "released", rerun_at, released_by="x"))
    run = _run(engine, run_id)
    assert (run.status, run.completed_at, run.released_by) == ("completed", done_at, None)


def test_a_months_obligation_owed_again_answers_the_first_amount(engine: Engine) -> None:
    """owe_obligation (month-owed-as-ledger) again at a new price: the row found, and its
    answer is the amount first owed, for the case to record."""
    case_id = "lb" + uuid.uuid4().hex[:10]
    inp = ObligationInput(
        case_id=case_id,
        region_code=REGION,
        month=1,
        period_start=date(2019, 1, 1),
        period_end=date(2019, 1, 28),
        category="benefit",
        amount=AMOUNT,
        at=AT,
    )
    owe = LedgerActivities(engine).owe_obligation
    first = ActivityEnvironment().run(owe, inp)
    inp.amount, inp.at = AMOUNT + 100, LATER
    again = ActivityEnvironment().run(owe, inp)
    assert (first.amount, again.amount) == (AMOUNT, AMOUNT)
    assert again.end_to_end_id == first.end_to_end_id
    [row] = _payments(engine, case_id)
    assert row.amount == AMOUNT
