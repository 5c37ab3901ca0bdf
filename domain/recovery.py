"""Overpayment recovery and the unused months a closed case leaves (DOMAIN.md stages 4, 7, 11).

Pure rules: which causes a recovery may have, what is still owed, whether a repayment or an
offset fits, which months of an entitlement a closed case left unused.

Sources: seed 002 (《失业保险条例》 penalties, 骗取失业保险金): benefits obtained by fraud are
ordered repaid by the agency (社会保险经办机构责令退还); a fine (1-3 times) is for the labour
department (劳动保障行政部门) alone, so a fraud finding is referred, never fined here.
社会保险法 art. 46 (DOMAIN.md stage 4): the months of an earlier entitlement not drawn are
added to a later one, the total capped (24).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

RecoveryCause = Literal["late_stop_event", "fraud_finding", "error"]
RECOVERY_CAUSES: tuple[RecoveryCause, ...] = ("late_stop_event", "fraud_finding", "error")
CENT = Decimal("0.01")
# the largest amount the ledger holds (NUMERIC(12, 2), DOMAIN.md "Money"): anything larger is
# a typing error, refused before it reaches the database (or overflows Decimal's quantize)
MAX_AMOUNT = Decimal("9999999999.99")


class RecoveryRuleError(ValueError):
    """A refused figure; `field` names what is at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_amount(amount: Decimal, field: str = "amount") -> Decimal:
    """A positive amount in yuan with at most 2 decimals (DOMAIN.md "Money")."""
    if not amount.is_finite() or amount <= 0:
        raise RecoveryRuleError(field, "must be a positive amount")
    if amount > MAX_AMOUNT:
        raise RecoveryRuleError(field, f"at most {MAX_AMOUNT} yuan")
    if amount != amount.quantize(CENT):
        raise RecoveryRuleError(field, "at most 2 decimals (fen)")
    return amount.quantize(CENT)


def balance(amount: Decimal, settled: Iterable[Decimal]) -> Decimal:
    """What is still owed: the overpaid amount less every repayment and offset made."""
    return (amount - sum(settled, Decimal("0"))).quantize(CENT)


def check_repayment(owed: Decimal, repayment: Decimal, field: str = "amount") -> Decimal:
    """A repayment or offset of at most the balance (an overpaid repayment is refused)."""
    value = check_amount(repayment, field)
    if value > owed:
        raise RecoveryRuleError(field, f"more than the balance still owed ({owed:.2f})")
    return value


def offset_of(obligation: Decimal, remaining: Decimal) -> Decimal:
    """How much of a later case's payment an approved offset takes: never more than the
    payment, never more than what the approval has left."""
    return max(Decimal("0.00"), min(obligation, remaining)).quantize(CENT)


# The only obligations of a later case an approved offset may reduce (issue 11 §4): the
# claimant's own monthly benefit. Never the funeral grant or survivor pension (the survivors'
# money, seed 000 art. 23), the self-employment lump sum (art. 35) or the medical premium
# (owed to the medical-insurance agency, or its ≤ 3-month cash option), nor the fund's own
# entries (refunds, transfers, top-ups).
OFFSET_CATEGORIES: tuple[str, ...] = ("benefit",)


def may_offset(category: str) -> bool:
    """Whether an approved offset may take from an obligation of this ledger category."""
    return category in OFFSET_CATEGORIES


def refers_to_labour_department(cause: RecoveryCause) -> bool:
    """A fraud finding (骗取) goes to the labour department's decision (seed 002: the agency
    orders repayment; only the department fines, 1-3 times, in serious cases)."""
    return cause == "fraud_finding"


def unused_months(entitlement_months: int, used_months: int) -> int:
    """The months of an entitlement a closed case did not use (DOMAIN.md "Benefit months":
    recorded on the claimant so that a later case can add them, 社会保险法 art. 46)."""
    if entitlement_months < 0 or used_months < 0:
        raise ValueError("months must not be negative")
    return max(0, entitlement_months - used_months)
