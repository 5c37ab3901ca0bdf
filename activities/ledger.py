"""Ledger activities: payment obligations of the UI fund (unique per case, month, category)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from db import audit, payments
from db.engine import session_scope
from db.models import Payment
from db.recoveries import apply_offsets
from domain.recovery import may_offset
from payloads.records import Obligation, ObligationInput

CATEGORY_CODES = {
    "benefit": "BE",
    "medical_premium": "MP",
    "funeral_grant": "FG",
    "survivor_pension": "SP",
    "lump_sum": "LS",
    "refund": "RF",
    "transfer_out": "TO",  # a cross-province transfer paid to the destination fund
    "transfer_in": "TI",  # the same money received by the destination fund (no bank payment)
    "premium_topup": "PT",  # the destination fund's premium shortfall (no bank payment)
}
# Entries of the fund's own books, never paid out by a payment run.
BOOKED_ONLY = ("transfer_in", "premium_topup")


def end_to_end_id(case_id: str, month: int, category: str, attempt: int) -> str:
    """Stable per obligation and attempt (≤ 35 characters, ISO 20022 EndToEndId)."""
    return f"{case_id}-{month:03d}-{CATEGORY_CODES[category]}-{attempt}"


def add_obligation(session: Session, inp: ObligationInput) -> str:
    """Owe one month of a category once, in the caller's transaction: a retry, a replay or
    a duplicate signal finds the row (case, month, category) and changes nothing."""
    return owe_once(session, inp).end_to_end_id


def owe_once(session: Session, inp: ObligationInput) -> Obligation:
    """add_obligation, answering with the obligation the ledger holds: the amount first owed
    (the row's own amount may since be reduced by an offset, db/recoveries.apply_offsets)."""
    existing = payments.find_obligation(
        session, case_id=inp.case_id, month=inp.month, category=inp.category
    )
    if existing is not None:
        e2e = existing.end_to_end_id
        first = payments.first_owed_amount(session, end_to_end_id=e2e)
        return Obligation(end_to_end_id=e2e, amount=existing.amount if first is None else first)
    e2e = end_to_end_id(inp.case_id, inp.month, inp.category, 1)
    session.add(
        Payment(
            case_id=inp.case_id,
            region_code=inp.region_code,
            month=inp.month,
            period_start=inp.period_start,
            period_end=inp.period_end,
            category=inp.category,
            amount=inp.amount,
            end_to_end_id=e2e,
            bank_code=inp.bank_code,
            account_number=inp.account_number,
            account_name=inp.account_name,
            created_at=inp.at,
            updated_at=inp.at,
        )
    )
    audit.write(
        session,
        key=f"payment:{e2e}:owed",
        at=inp.at,
        actor="system",
        action="payment_owed",
        entity_type="case",
        entity_id=inp.case_id,
        data={"month": inp.month, "category": inp.category, "amount": str(inp.amount)},
        once=True,
    )
    return Obligation(end_to_end_id=e2e, amount=inp.amount)


class LedgerActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn
    def create_obligation(self, inp: ObligationInput) -> str:
        """Owe one month once: a retry, a replay or a duplicate signal finds the row."""
        with session_scope(self.engine) as session:
            e2e = add_obligation(session, inp)
            if may_offset(inp.category):  # a supervisor-approved offset takes its share
                session.flush()
                apply_offsets(session, case_id=inp.case_id, at=inp.at)
            return e2e

    @activity.defn
    def owe_obligation(self, inp: ObligationInput) -> Obligation:
        """create_obligation answering with what the ledger holds: a month priced again (a
        local step run again after a policy reload) learns the amount first owed."""
        with session_scope(self.engine) as session:
            owed = owe_once(session, inp)
            if may_offset(inp.category):
                session.flush()
                apply_offsets(session, case_id=inp.case_id, at=inp.at)
            return owed
