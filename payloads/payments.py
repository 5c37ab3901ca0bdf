"""Payment runs (DOMAIN.md "Money"): the run's input and state, the payout calendar's input,
and the inputs and answers of the payment activities (activities/payments.py) that the
payment-run and claim workflows, the bank webhook and the tests share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass
class PaymentRunInput:
    run_id: str
    region_code: str
    cutoff: date


@dataclass
class GatherInput:
    run_id: str
    region_code: str
    cutoff: date
    at: datetime


@dataclass
class RunSummary:
    count: int
    total: Decimal
    totals: dict[str, str]
    approval_threshold: Decimal
    bank_alert_hours: int = 4
    # payments re-issued to another payee (a new account or name) in the run: any needs a
    # second person's approval of the run whatever its total (issue 13 §4)
    changed_payees: int = 0
    # who changed them (distinct user names): none of them approves the run (four eyes per
    # payee change, not per run: the changer may not approve a run someone else released)
    payee_changers: list[str] = field(default_factory=list)


@dataclass
class RunInput:
    run_id: str
    at: datetime


@dataclass
class StatusUpdate:
    end_to_end_id: str
    status: str  # ACCP | ACSC | RJCT | PDNG
    reason: str | None = None
    booked_at: datetime | None = None  # the bank's booking time (pain.002 AccptncDtTm)


@dataclass
class ApplyInput:
    run_id: str
    at: datetime
    statuses: list[StatusUpdate] = field(default_factory=list)


@dataclass
class AppliedChange:
    end_to_end_id: str
    case_id: str
    month: int
    status: str  # settled | returned
    reason: str | None = None


@dataclass
class SubmitResult:
    """What a submission answers: sizes, not the run's end-to-end IDs (a run of 100,000
    would not fit Temporal's payload limit); the ledger holds the transactions."""

    sent: int  # transactions in the message
    outstanding: int  # of the run's payments still waiting for a final status
    # the earliest moment the bank can have booked the run (its acceptance or the requested
    # execution date, whichever is later, plus BANK_BOOKING_HOURS): the run's first fallback
    # poll; None from a submission recorded before it was answered
    booked_from: datetime | None = None


@dataclass
class ApplyResult:
    """Statuses applied: counts, and only the exceptional items (returns) by name."""

    settled: int = 0  # newly settled by this call
    returned: list[AppliedChange] = field(default_factory=list)  # newly returned
    outstanding: int = 0  # of the run still waiting for a final status, per the ledger
    more: bool = False  # stopped at the bound on returns: ask again for the rest


@dataclass
class ReissueInput:
    end_to_end_id: str
    at: datetime
    actor: str
    bank_code: str | None = None
    account_number: str | None = None
    account_name: str | None = None
    cancel_reason: str | None = None  # set: cancel instead of re-issue


@dataclass
class ReturnsInput:
    """A payment run's returns (workflows/payment_returns.py), carried across continue-as-new:
    the returns not yet given a task, the open tasks' IDs (all `payment_returned`, finance's,
    no due time: nothing else to carry), whether the run has reported its last return."""

    run_id: str
    queued: list[AppliedChange] = field(default_factory=list)
    open_task_ids: list[str] = field(default_factory=list)
    all_reported: bool = False
    handled: int = 0  # decisions applied, over all the runs of the chain
    system_errors: int = 0  # system_error tasks opened by the earlier runs of the chain
    decisions_per_run: int = 0  # continue as new after this many decisions (0: the default)


@dataclass
class RunStatusInput:
    run_id: str
    status: str
    at: datetime
    released_by: str | None = None
    approved_by: str | None = None


@dataclass
class StatusReportRef:
    """A bank status report the API verified and kept (table bank_status_reports): what the
    webhook signals to a payment run instead of the statuses themselves."""

    report_id: str  # SHA-256 of the pain.002 body, hex
    statuses: int  # transactions it reports


@dataclass
class ApplyReportInput:
    run_id: str
    report_id: str
    at: datetime


@dataclass
class PaymentRunStatus:
    """What the payment run's query answers."""

    run_id: str
    status: str
    summary: RunSummary | None = None
    released_by: str | None = None
    approved_by: str | None = None
    returned: list[str] = field(default_factory=list)
    outstanding_count: int = 0  # sent, not yet settled or returned (the ledger's count)
    settled_count: int = 0
