"""Inputs, signals, updates and state of the ClaimWorkflow (plain dataclasses).

New fields get defaults so that running cases keep decoding."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.deadlines import consulted_years

# the case statuses that end a case (ARCHITECTURE.md "REST contract")
CLOSED_STATUSES = frozenset({"rejected", "lapsed", "stopped", "exhausted", "transferred_out"})


@dataclass
class BankAccount:
    bank_code: str
    account_number: str
    account_name: str


@dataclass
class EmployerReport:
    """The employer's termination report (退工手续), DOMAIN.md stage 1."""

    uscc: str
    employer_name: str
    national_id: str
    claimant_name: str
    region_code: str
    separation_date: date
    notice_date: date
    reason_code: str
    contribution_months: int
    carried_months: int = 0
    claimant_phone: str | None = None
    claimant_email: str | None = None
    employer_email: str | None = None
    employer_phone: str | None = None
    submitted_by: str = ""


@dataclass
class Registration:
    """The claimant's unemployment registration and application, DOMAIN.md stage 2."""

    national_id: str
    name: str
    region_code: str
    separation_date: date
    seeking_work: bool
    notice_date: date | None = None
    phone: str | None = None
    email: str | None = None
    bank_account: BankAccount | None = None
    employer_uscc: str | None = None
    employer_name: str | None = None
    employer_email: str | None = None
    submitted_by: str = ""


@dataclass
class DeadlineInfo:
    kind: str
    start: date
    due_date: date
    reminders: list[date] = field(default_factory=list)
    reminders_sent: list[date] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    policy_version: str = ""
    met_on: date | None = None
    missed: bool = False
    extensions: list[dict[str, Any]] = field(default_factory=list)
    # computed without the official holiday schedule of these years (weekends only skipped);
    # recomputed when an admin loads one (ClaimWorkflow.calendar_changed)
    provisional: bool = False
    provisional_years: list[int] = field(default_factory=list)

    def pending_years(self) -> list[int]:
        """The years this deadline was computed without. A deadline planned before deadlines
        carried `provisional` has a warning instead: then every year it consulted."""
        if self.provisional:
            return list(self.provisional_years)
        if self.warnings:
            return consulted_years(self.start, self.due_date)
        return []


@dataclass
class CalendarChanged:
    """Signal: an administrator loaded the official holiday schedule of `year`."""

    year: int
    version: int = 0


@dataclass
class CompleteTaskInput:
    task_id: str
    outcome: str
    actor: str
    actor_roles: list[str] = field(default_factory=list)
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskCompletion:
    task_id: str
    kind: str
    outcome: str
    actor: str
    completed_at: datetime
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskState:
    task_id: str
    kind: str
    group: str
    opened_at: datetime
    due_at: datetime | None = None
    escalated: bool = False
    completion: TaskCompletion | None = None
    original_group: str | None = None
    reminders: list[datetime] = field(default_factory=list)
    reminders_sent: list[datetime] = field(default_factory=list)
    escalation_noticed: bool = False


@dataclass
class CaseEventRecord:
    seq: int
    at: datetime
    type: str
    actor: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Proposal:
    """The system's pre-check and proposed entitlement, for the reviewer (DOMAIN.md 3-4)."""

    eligible: bool | None
    checks: list[dict[str, Any]]
    months: int
    monthly_amount: Decimal
    start_date: date
    end_date: date | None
    policy_version: str


@dataclass
class CasePolicy:
    """The region's policy values a case uses, fetched once by an activity."""

    policy_version: str
    late_registration_window_days: int
    task_due_days: dict[str, int] = field(default_factory=dict)
    task_reminder_days_before: int = 1
    min_contribution_months: int = 12
    check_in_reminder_days: int = 5


@dataclass
class Entitlement:
    """The entitlement fixed by the reviewer's approval (DOMAIN.md stage 4)."""

    months: int
    monthly_amount: Decimal
    start_date: date
    end_date: date
    contribution_months: int
    policy_version: str


@dataclass
class ExtendDeadlineInput:
    kind: str
    days: int
    reason: str
    actor: str
    actor_roles: list[str] = field(default_factory=list)


@dataclass
class MonthState:
    """One benefit month: [start, end) per DOMAIN.md "Benefit months"."""

    month: int
    start: date
    end: date
    status: str = "open"  # open | checked_in | missed | excused | unexcused
    check_in: date | None = None
    task_id: str | None = None
    reminded: bool = False
    amount: Decimal | None = None
    policy_version: str | None = None
    owed: bool = False


@dataclass
class BenefitState:
    months: list[MonthState] = field(default_factory=list)
    current: int = 1  # the running month (1-based); len(months) + 1 when all have ended


@dataclass
class CheckInInput:
    on: date | None = None
    actor: str = ""
    channel: str = "api"  # api | counter (in person, recorded by a clerk)


@dataclass
class CheckInResult:
    month: int
    period_start: date
    period_end: date
    on: date


@dataclass
class CaseState:
    case_id: str
    status: str = "awaiting_employer_report"
    stage: str = "intake"
    closure_reason: str | None = None
    region_code: str | None = None
    opened_at: datetime | None = None
    employer_report: EmployerReport | None = None
    employer_report_received: date | None = None
    registration: Registration | None = None
    registration_date: date | None = None
    employer_facts_by_supervisor: dict[str, Any] | None = None
    late_registration_accepted: bool = False
    policy: CasePolicy | None = None
    deadlines: dict[str, DeadlineInfo] = field(default_factory=dict)
    proposal: Proposal | None = None
    entitlement: Entitlement | None = None
    decision: dict[str, Any] | None = None
    benefit: BenefitState | None = None
    tasks: dict[str, TaskState] = field(default_factory=dict)
    task_counter: int = 0
    event_seq: int = 0
    unsynced_events: list[CaseEventRecord] = field(default_factory=list)
    # "<end-to-end ID>:<status>" of each bank status the case was told (told at least once)
    payment_updates: list[str] = field(default_factory=list)


@dataclass
class ClaimInput:
    case_id: str
    state: CaseState | None = None


@dataclass
class ClaimResult:
    case_id: str
    status: str
    closure_reason: str | None
