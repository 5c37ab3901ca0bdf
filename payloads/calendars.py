"""The long-lived timers (payout calendar, daily reconciliation) and the runs they start through
an activity (activities/starts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass
class PayoutCalendarInput:
    region_code: str
    # carried over continue-as-new (workflows/payout_calendar.py, CALENDAR_LOOP): the next
    # payout day, looked up at the last one (None: look it up from today)
    next_day: date | None = None


@dataclass
class DailyReconciliationInput:
    days_done: int = 0
    # carried over continue-as-new (workflows/reconciliation.py, QUIET): the first day not yet
    # matched (None: the day before the next wake), and whether payments are at the bank
    next_day: date | None = None
    busy: bool = True
    # days without payments at the bank matched at least this often (the starter sets it from the
    # clock: 1 on the real clock; 7, the default of the runs recorded first, on the simulated one)
    quiet_days: int = 7


@dataclass
class Started:
    workflow_id: str
    already: bool  # it had been started before (a retry, or a start by hand)
    skipped: bool = False  # nothing to do (nothing owed, no cover): not started
