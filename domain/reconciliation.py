"""Matching the bank statement against the ledger (账账相符, 日清月结: seed 000 范文4).

Pure: the ledger's view of a day (settled and returned payments) against the statement's
entries, by end-to-end ID, amount and date. What does not match on either side is a
mismatch for finance."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class LedgerItem:
    end_to_end_id: str
    amount: Decimal
    status: str  # settled | returned
    category: str


@dataclass(frozen=True)
class BankEntry:
    end_to_end_id: str
    amount: Decimal
    credit_debit: str  # DBIT | CRDT (a CRDT of ours is a return's reversal)
    booking_date: date


@dataclass
class Mismatch:
    end_to_end_id: str
    side: str  # ledger_only | bank_only | amount
    detail: str


@dataclass
class Reconciliation:
    day: date
    matched: int = 0
    paid_by_category: dict[str, Decimal] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)


def reconcile(day: date, ledger: list[LedgerItem], bank: list[BankEntry]) -> Reconciliation:
    """A settled payment needs one debit of its amount; a returned one a debit and its
    reversal (net zero); a statement entry nobody owes is a mismatch too."""
    out = Reconciliation(day=day)
    entries: dict[str, list[BankEntry]] = defaultdict(list)
    for e in bank:
        if e.booking_date == day:
            entries[e.end_to_end_id].append(e)
    for item in ledger:
        found = entries.pop(item.end_to_end_id, [])
        debits = [e.amount for e in found if e.credit_debit == "DBIT"]
        credits = [e.amount for e in found if e.credit_debit == "CRDT"]
        if not found:
            out.mismatches.append(
                Mismatch(
                    item.end_to_end_id,
                    "ledger_only",
                    f"{item.status} {item.amount}, not on the statement",
                )
            )
            continue
        want_credits = [item.amount] if item.status == "returned" else []
        if debits != [item.amount] or credits != want_credits:
            out.mismatches.append(
                Mismatch(
                    item.end_to_end_id,
                    "amount",
                    f"ledger {item.status} {item.amount}; bank debits {debits} credits {credits}",
                )
            )
            continue
        out.matched += 1
        if item.status == "settled":
            total = out.paid_by_category.get(item.category, Decimal("0.00"))
            out.paid_by_category[item.category] = total + item.amount
    for e2e, left in sorted(entries.items()):
        amounts = ", ".join(f"{e.credit_debit} {e.amount}" for e in left)
        out.mismatches.append(Mismatch(e2e, "bank_only", f"{amounts}, not in the ledger"))
    return out
