"""Issue 11 §6: for a closed case, the ledger adds up to what the rules say.

Computed twice, independently: from the ledger (benefit paid + pro rata + grants + lump sum
− refunds − open recovery) and from the rules (the months the case was entitled to be paid,
each at the policy's amount in force on the month's first day, plus what the rules grant
once). A payment of the case reduced by an approved offset still counts as paid to the
claimant: the fund kept it against the earlier overpayment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from db.models import Payment
from db.recoveries import balance_of
from db.recovery import Recovery, RecoveryRepayment
from domain.amounts import monthly_amount
from domain.entitlement import benefit_month_period
from policy import PolicyBook

PAID = ("sent", "settled", "offset")  # left the fund for the claimant (or was kept as offset)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LedgerSum:
    paid: Decimal  # benefit (whole months and the pro-rata month), grants, lump sum
    offsets_taken: Decimal  # taken from this case's payments for an earlier recovery
    refunds: Decimal  # repaid or offset against this case's recoveries
    open_recovery: Decimal  # still owed on this case's recoveries

    @property
    def net(self) -> Decimal:
        return self.paid + self.offsets_taken - self.refunds - self.open_recovery


def ledger_sum(engine: Engine, case_id: str) -> LedgerSum:
    """What the ledger says the case was paid, net of what came back or is owed."""
    cats = ("benefit", "funeral_grant", "survivor_pension", "lump_sum")
    with Session(engine) as session:
        rows = session.exec(select(Payment).where(Payment.case_id == case_id)).all()
        paid = sum((p.amount for p in rows if p.category in cats and p.status in PAID), ZERO)
        refunds = sum(
            (
                p.amount
                for p in rows
                if p.category == "refund" and p.status in ("received", "offset")
            ),
            ZERO,
        )
        taken = session.exec(
            select(RecoveryRepayment).where(
                RecoveryRepayment.offset_case_id == case_id, RecoveryRepayment.kind == "offset"
            )
        ).all()
        recs = session.exec(select(Recovery).where(Recovery.case_id == case_id)).all()
        owed = sum((balance_of(session, r).owed for r in recs), ZERO)
    return LedgerSum(paid, sum((t.amount for t in taken), ZERO), refunds, owed)


def rules_amount(
    book: PolicyBook,
    region_code: str,
    start: date,
    months: Iterable[int],
    *,
    pro_rata: Decimal = ZERO,
    once: Decimal = ZERO,
) -> Decimal:
    """What the rules say: each payable month at the amount in force on its first day
    (DOMAIN.md stage 4), the month containing a stop pro rata, grants and lump sums once."""
    region = book.region(region_code)
    total = ZERO
    for i in months:
        first, _ = benefit_month_period(start, i)
        period = region.at(first)
        total += monthly_amount(period.benefit, period.rounding)
    return total + pro_rata + once


def assert_ledger_adds_up(engine: Engine, case_id: str, expected: Decimal) -> LedgerSum:
    got = ledger_sum(engine, case_id)
    assert got.net == expected, f"ledger of {case_id}: {got} (net {got.net}) != rules {expected}"
    return got
