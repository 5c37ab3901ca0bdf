"""A day's reconciliation (日清月结, seed 000 范文4): the workflow's input and state, and the
reconciliation activity's input and answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal


@dataclass
class ReconcileDayInput:
    day: date


@dataclass(kw_only=True)
class Mismatch:
    """One difference between the ledger and the bank's statement for a day."""

    end_to_end_id: str
    side: str  # ledger_only | bank_only | amount (domain/reconciliation.py)
    detail: str

    def as_record(self) -> dict[str, str]:
        return {"end_to_end_id": self.end_to_end_id, "side": self.side, "detail": self.detail}


@dataclass(kw_only=True)
class ReconcileInput:
    day: date
    at: datetime


@dataclass(kw_only=True)
class ReconcileResult:
    day: date
    matched: int
    paid_by_category: dict[str, str] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)


@dataclass(kw_only=True)
class ReconcileDaysInput:
    """The days `first`..`last` (inclusive), matched one by one in one activity."""

    first: date
    last: date
    at: datetime


@dataclass(kw_only=True)
class ReconcileDaysResult:
    results: list[ReconcileResult] = field(default_factory=list)
    failed: list[date] = field(default_factory=list)  # matching failed for good: a workflow each
    in_flight: bool = False  # payments sent to the bank and not yet settled or returned


@dataclass(kw_only=True)
class ReconcileDayStatus:
    day: date
    status: Literal["matching", "reconciled", "mismatched", "resolved"] = "matching"
    matched: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
