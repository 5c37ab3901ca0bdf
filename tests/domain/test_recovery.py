"""Overpayment recovery and unused months (domain/recovery.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.entitlement import DurationBand, entitlement_months
from domain.recovery import (
    RecoveryRuleError,
    balance,
    check_amount,
    check_repayment,
    may_offset,
    offset_of,
    refers_to_labour_department,
    unused_months,
)

BANDS = [DurationBand(12, 60, 12), DurationBand(60, 120, 18), DurationBand(120, None, 24)]


def test_balance_is_the_amount_less_every_repayment_and_offset() -> None:
    """DOMAIN.md stage 11 / seed 002: overpaid benefits are ordered repaid; what is still
    owed is the amount less what came back."""
    assert balance(Decimal("1510.00"), [Decimal("500.00"), Decimal("1010.00")]) == 0
    assert balance(Decimal("755.00"), [Decimal("300.00")]) == Decimal("455.00")


@pytest.mark.parametrize(
    "amount", ["0", "-1.00", "12.345", "NaN", "10000000000.00", "9.41038969072537e+72"]
)
def test_a_recovery_amount_is_positive_yuan_and_fen(amount: str) -> None:
    """DOMAIN.md "Money": yuan with 2 decimals, at most what the ledger's NUMERIC(12, 2)
    holds (9.41e+72 made quantize raise: a 500 the API fuzzer found)."""
    with pytest.raises(RecoveryRuleError) as err:
        check_amount(Decimal(amount))
    assert err.value.field == "amount"


def test_a_repayment_over_the_balance_is_refused() -> None:
    """Seed 002: the agency orders repayment of what was overpaid, not more."""
    assert check_repayment(Decimal("455.00"), Decimal("455.00")) == Decimal("455.00")
    with pytest.raises(RecoveryRuleError, match="balance"):
        check_repayment(Decimal("455.00"), Decimal("455.01"))


def test_an_offset_takes_at_most_the_payment_and_the_balance() -> None:
    """Issue 11 §4: a later case's payment reduced by the offset, never below zero."""
    assert offset_of(Decimal("755.00"), Decimal("300.00")) == Decimal("300.00")
    assert offset_of(Decimal("755.00"), Decimal("1000.00")) == Decimal("755.00")
    assert offset_of(Decimal("755.00"), Decimal("0.00")) == Decimal("0.00")


@pytest.mark.parametrize(
    "category",
    ["funeral_grant", "survivor_pension", "lump_sum", "medical_premium", "refund",
     "transfer_out", "transfer_in", "premium_topup"],
)  # fmt: skip
def test_an_offset_takes_only_benefit_payments(category: str) -> None:
    """Issue 11 §4: the claimant's own benefit months, never the survivors' grants (seed 000
    art. 23), the lump sum (art. 35), the agency's premium or the fund's own entries."""
    assert may_offset("benefit")
    assert not may_offset(category)


def test_only_a_fraud_finding_goes_to_the_labour_department() -> None:
    """Seed 002 (《条例》 penalties on 骗取): the agency orders repayment (责令退还); a fine of
    1-3 times is the labour department's (劳动保障行政部门), so fraud is referred, not fined."""
    assert refers_to_labour_department("fraud_finding")
    assert not refers_to_labour_department("error")
    assert not refers_to_labour_department("late_stop_event")


def test_unused_months_of_a_closed_case() -> None:
    """DOMAIN.md "Benefit months": unused months are recorded on the claimant; an exhausted
    entitlement leaves none."""
    assert unused_months(18, 6) == 12
    assert unused_months(12, 12) == 0
    assert unused_months(12, 14) == 0
    with pytest.raises(ValueError):
        unused_months(-1, 0)


def test_twelve_unused_months_onto_eighteen_new_are_capped_at_24() -> None:
    """社会保险法 art. 46 (DOMAIN.md stage 4): the unused months of the earlier entitlement are
    added to the new one, the total capped at 24."""
    carried = unused_months(18, 6)
    assert entitlement_months(72, BANDS, carried_months=carried, cap=24) == 24
    assert entitlement_months(72, BANDS, carried_months=unused_months(18, 15), cap=24) == 21
