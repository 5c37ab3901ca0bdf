"""The long-lived timers (payout calendar, daily reconciliation) and the runs they start through
an activity (activities/starts.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


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


@dataclass
class PayoutRegion:
    """A region's place in the one payout calendar (workflows/payout_calendar.py,
    `AllRegionsPayoutCalendarWorkflow`), carried from moment to moment."""

    day: date | None = None  # its next payout day, not started yet (None: look it up)
    after: date | None = None  # the look-up's: the first payout day after it (None: yesterday)
    failures: int = 0  # moments in a row its look-up or start failed (retried sooner, backing off)
    error: str = ""  # the last failure, as the activity's log said it


@dataclass
class AllPayoutCalendarInput:
    # carried over continue-as-new: each region's place (a region not in it, e.g. one added to
    # the policy since, is looked up from yesterday) and the next moment (None: at once)
    regions: dict[str, PayoutRegion] = field(default_factory=dict)
    next_at: datetime | None = None
    only: list[str] | None = None  # these regions alone (tests); None: the policy's, each moment


@dataclass
class PayoutMomentInput:
    now: datetime  # the workflow's time (the simulated one on the time-skipping server)
    regions: dict[str, PayoutRegion]
    only: list[str] | None = None


@dataclass
class PayoutMoment:
    regions: dict[str, PayoutRegion]  # each region's place after the moment
    next_at: datetime  # the earliest region's payout moment, or a failed region's retry
    started: list[Started] = field(default_factory=list)  # the runs due (or skipped) now
    failed: dict[str, str] = field(default_factory=dict)  # region: why (retried at `next_at`)
