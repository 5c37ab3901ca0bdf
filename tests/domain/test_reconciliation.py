"""账账相符 (seed 000 范文4): statement against ledger, by end-to-end ID, amount and date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.reconciliation import BankEntry, LedgerItem, reconcile

DAY = date(2026, 12, 10)
D = Decimal


def test_settled_and_returned_payments_match_and_category_totals_add_up() -> None:
    """A settled payment is one debit; a return is a debit and its reversal."""
    ledger = [
        LedgerItem("a-001-BE-1", D("755.00"), "settled", "benefit"),
        LedgerItem("b-001-BE-1", D("755.00"), "settled", "benefit"),
        LedgerItem("c-001-BE-1", D("755.00"), "returned", "benefit"),
    ]
    bank = [
        BankEntry("a-001-BE-1", D("755.00"), "DBIT", DAY),
        BankEntry("b-001-BE-1", D("755.00"), "DBIT", DAY),
        BankEntry("c-001-BE-1", D("755.00"), "DBIT", DAY),
        BankEntry("c-001-BE-1", D("755.00"), "CRDT", DAY),
    ]
    r = reconcile(DAY, ledger, bank)
    assert r.matched == 3 and r.mismatches == []
    assert r.paid_by_category == {"benefit": D("1510.00")}


def test_each_side_s_unmatched_items_and_wrong_amounts_are_mismatches() -> None:
    """Anything unmatched on either side is a mismatch for finance (issue: reconciliation)."""
    ledger = [
        LedgerItem("a-001-BE-1", D("755.00"), "settled", "benefit"),
        LedgerItem("b-001-BE-1", D("755.00"), "settled", "benefit"),
    ]
    bank = [
        BankEntry("a-001-BE-1", D("575.00"), "DBIT", DAY),
        BankEntry("z-009-BE-1", D("100.00"), "DBIT", DAY),
        BankEntry("b-001-BE-1", D("755.00"), "DBIT", date(2026, 12, 11)),
    ]
    r = reconcile(DAY, ledger, bank)
    assert r.matched == 0
    assert sorted((m.end_to_end_id, m.side) for m in r.mismatches) == [
        ("a-001-BE-1", "amount"),
        ("b-001-BE-1", "ledger_only"),
        ("z-009-BE-1", "bank_only"),
    ]
