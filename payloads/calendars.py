"""The long-lived timers (payout calendar, daily reconciliation) and the runs they start through
an activity (activities/starts.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PayoutCalendarInput:
    region_code: str


@dataclass
class DailyReconciliationInput:
    days_done: int = 0


@dataclass
class Started:
    workflow_id: str
    already: bool  # it had been started before (a retry, or a start by hand)
