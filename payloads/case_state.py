"""The state of one case (ClaimWorkflow), carried across continue-as-new and synced to the read
model: the case itself, then one part per stage. A stage's part exists once the stage has
started (`review`, `benefit` are None before), so nothing reads a stage that has not begun."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import JsonValue

from domain.deadlines import consulted_years
from payloads.stops import Refusal, StopEvent
from payloads.submissions import EmployerReport, Registration
from payloads.tasks import TaskState

CaseStatus = Literal[
    "awaiting_employer_report",
    "awaiting_registration",
    "in_review",
    "active",
    "suspended",
    "rejected",
    "lapsed",
    "stopped",
    "exhausted",
    "transferred_out",
]
CLOSED_STATUSES: frozenset[str] = frozenset(
    {"rejected", "lapsed", "stopped", "exhausted", "transferred_out"}
)
Stage = Literal["intake", "review", "benefits", "closed"]
ClosureReason = Literal[
    "registration_deadline_missed",
    "review_rejected",
    "missed_check_ins",
    "entitlement_exhausted",
    # stop events (domain/stops.py; workflows/claim/stops.py)
    "reemployed",
    "military_service",
    "emigrated",
    "pension_started",
    "imprisoned",
    "refused_offer",
    "self_employed",
    "died",
    "transferred",
]
DeadlineKind = Literal["employer_report", "registration", "review"]
# waived: no check-in, but the month ended before the eligibility decision (never a miss,
# paid; domain/check_ins.py)
MonthStatus = Literal["open", "checked_in", "missed", "excused", "unexcused", "waived"]
# A case event's values: what the timeline shows (dates as ISO text, amounts as text).
EventValue = JsonValue


@dataclass(kw_only=True)
class CasePolicy:
    """The region's policy values a case uses, fetched once by an activity."""

    policy_version: str
    late_registration_window_days: int
    task_due_days: dict[str, int] = field(default_factory=dict)
    task_reminder_days_before: int = 1
    min_contribution_months: int = 12
    check_in_reminder_days: int = 5
    # stop events (domain/stops.py StopTerms; policy [periods.stops]); older cases: defaults
    proration: str = "daily"
    rounding: str = "half_up"
    stop_future_limit_days: int = 30
    funeral_grant_months: int = 7
    survivor_months_per_dependent: int = 5
    survivor_months_three_or_more: int = 15
    public_service_factor: Decimal = Decimal("1.8")


@dataclass(kw_only=True)
class DeadlineExtension:
    """A supervisor moved a running deadline (from, to, by how many days, why, who, when)."""

    from_date: date
    to_date: date
    days: int
    reason: str
    by: str
    at: datetime

    def as_record(self) -> dict[str, str | int]:
        """As the read model and the API show it."""
        return {
            "from": self.from_date.isoformat(),
            "to": self.to_date.isoformat(),
            "days": self.days,
            "reason": self.reason,
            "by": self.by,
            "at": self.at.isoformat(),
        }


@dataclass(kw_only=True)
class DeadlineInfo:
    kind: DeadlineKind
    start: date
    due_date: date
    reminders: list[date] = field(default_factory=list)
    reminders_sent: list[date] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    policy_version: str = ""
    met_on: date | None = None
    missed: bool = False
    extensions: list[DeadlineExtension] = field(default_factory=list)
    # computed without the official holiday schedule of these years (weekends only skipped);
    # recomputed when an admin loads one (ClaimWorkflow.calendar_changed)
    provisional: bool = False
    provisional_years: list[int] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.met_on is None and not self.missed

    def pending_years(self) -> list[int]:
        """The years this deadline was computed without. A deadline planned before deadlines
        carried `provisional` has a warning instead: then every year it consulted."""
        if self.provisional:
            return list(self.provisional_years)
        if self.warnings:
            return consulted_years(self.start, self.due_date)
        return []


@dataclass(kw_only=True)
class EmployerFacts:
    """What the reviewer judges the separation by: from the employer's report, or recorded by
    a supervisor who resolved an overdue report without it."""

    reason_code: str
    contribution_months: int
    recorded_by: str | None = None  # the supervisor, when not from the report
    reason: str | None = None

    def as_inputs(self) -> dict[str, JsonValue]:
        """As a determination keeps them (evidence of what the decision was made on)."""
        if self.recorded_by is None:
            return {
                "reason_code": self.reason_code,
                "contribution_months": self.contribution_months,
            }
        return {
            "reason_code": self.reason_code,
            "contribution_months": self.contribution_months,
            "recorded_by": self.recorded_by,
            "reason": self.reason,
        }


@dataclass(kw_only=True)
class IntakeState:
    """Stages 1-2: the employer's report and the claimant's registration."""

    employer_report: EmployerReport | None = None
    employer_report_received: date | None = None
    registration: Registration | None = None
    registration_date: date | None = None
    facts_by_supervisor: EmployerFacts | None = None
    late_registration_accepted: bool = False
    # the report and the registration gave different separation dates: the one a clerk chose
    # (the `separation_date_mismatch` task); it then drives the deadlines and the policy
    separation_date: date | None = None


@dataclass(kw_only=True)
class PrecheckItem:
    code: str
    passed: bool | None
    detail: str
    source: str


@dataclass(kw_only=True)
class Proposal:
    """The system's pre-check and proposed entitlement, for the reviewer (DOMAIN.md 3-4)."""

    eligible: bool | None
    checks: list[PrecheckItem]
    months: int
    monthly_amount: Decimal
    start_date: date
    end_date: date | None
    policy_version: str
    # unused months of the person's earlier cases added (社会保险法 art. 46), and those cases
    carried_months: int = 0
    carried_from: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Entitlement:
    """The entitlement fixed by the reviewer's approval (DOMAIN.md stage 4)."""

    months: int
    monthly_amount: Decimal
    start_date: date
    end_date: date
    contribution_months: int
    policy_version: str
    carried_months: int = 0  # of `months`, carried from earlier cases (their IDs below)
    carried_from: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Decision:
    """The reviewer's decision as the notice prints it (domain/review.py)."""

    outcome: Literal["approve", "reject"]
    decided_by: str
    decided_at: datetime
    reasons: list[str]
    reason_text: str | None
    contribution_months: int | None
    corrected_from: int | None
    entitlement: Entitlement | None  # approvals only
    policy_version: str
    determination_key: str


@dataclass(kw_only=True)
class ReviewState:
    """Stage 3, from the moment both parts are in: the proposal, then the decision."""

    status: Literal["pending", "approved", "rejected"] = "pending"
    proposal: Proposal
    facts: EmployerFacts
    seeking_work: bool  # the registration's, as the pre-check read them
    national_id: str  # (birth date and sex: the retirement-age pre-check)
    decision: Decision | None = None


@dataclass(kw_only=True)
class MonthState:
    """One benefit month: [start, end) per DOMAIN.md "Benefit months"."""

    month: int
    start: date
    end: date
    status: MonthStatus = "open"
    check_in: date | None = None
    # month 1's check-in is the registration (domain/check_ins.py); a check-in in person in
    # that month is still recorded, once
    by_registration: bool = False
    task_id: str | None = None
    reminded: bool = False
    amount: Decimal | None = None
    policy_version: str | None = None
    owed: bool = False


@dataclass(kw_only=True)
class CheckInStop:
    """Benefits stopped for two consecutive check-ins missed without good reason (seed 000
    art. 33): which months, from which day (the day the second was judged), judged by whom."""

    months: list[int]
    effective_date: date
    decided_by: str


@dataclass(kw_only=True)
class BenefitState:
    """Stage 5, from the approval: the months of the entitlement and the running one."""

    months: list[MonthState]
    current: int = 1  # the running month (1-based); len(months) + 1 when all have ended
    stop: CheckInStop | None = None  # two consecutive unexcused misses (seed 000 art. 33)
    event: StopEvent | None = None  # a stop event (workflows/claim/stops.py)
    refusals: list[Refusal] = field(default_factory=list)  # refused offers (seed 000 art. 26)


@dataclass(kw_only=True)
class MedicalState:
    """Stage 6, from the case becoming active: the claimant's medical and maternity cover,
    exactly as long as the benefit (DOMAIN.md stage 6, seed 000 范文1; the rows and the
    declarations: activities/medical_*.py)."""

    start_date: date
    enrolled: bool = False  # the coverage row is written (declared in the next window)
    cash_option: bool = False  # 范文1 §4.6: the premium paid to the claimant (written request)
    stop_date: date | None = None  # the first day without benefit (停保)
    stop_reason: str | None = None
    stopped: bool = False  # the stop is recorded (declared in that month's window)


@dataclass(kw_only=True)
class TransferState:
    """Stage 9 at the source: a transfer asked by a clerk (DOMAIN.md stage 9, 范文1 §4.4)."""

    to_region_code: str
    kind: Literal["in_province", "cross_province"]
    requested_by: str
    requested_on: date
    from_region_code: str = ""
    status: Literal["requested", "done"] = "requested"
    months_left: int = 0
    destination_case_id: str | None = None  # cross-province: the destination's case
    funds: Decimal | None = None  # moved to the destination fund (cross-province)


@dataclass(kw_only=True)
class TransferIn:
    """Stage 9 at the destination: what the source moved (its months still to be paid, at
    their periods, and the premium transferred), awaiting a clerk's acceptance."""

    source_case_id: str
    from_region_code: str
    months: list[MonthState]
    premium: Decimal
    funds: Decimal
    accepted_by: str | None = None
    accepted_on: date | None = None
    topup: Decimal | None = None


@dataclass(kw_only=True)
class CaseEventRecord:
    seq: int
    at: datetime
    type: str
    actor: str | None = None
    data: dict[str, EventValue] = field(default_factory=dict)


@dataclass(kw_only=True)
class CheckInRequest:
    """A check-in request the case applied (the API's request ID and what it asked and got):
    the same request sent again, to this run or after a continue-as-new, gets this answer."""

    request_id: str
    actor: str
    channel: str
    asked_on: date | None  # the date asked for (None: the day it was made)
    month: int
    period_start: date
    period_end: date
    on: date


@dataclass(kw_only=True)
class CaseState:
    case_id: str
    status: CaseStatus = "awaiting_employer_report"
    stage: Stage = "intake"
    closure_reason: ClosureReason | None = None
    region_code: str | None = None
    opened_at: datetime | None = None
    policy: CasePolicy | None = None
    intake: IntakeState = field(default_factory=IntakeState)
    deadlines: dict[DeadlineKind, DeadlineInfo] = field(default_factory=dict)
    review: ReviewState | None = None
    benefit: BenefitState | None = None
    medical: MedicalState | None = None  # stage 6, from the case becoming active
    transfer: TransferState | None = None  # stage 9 at the source (the latest transfer)
    transfer_in: TransferIn | None = None  # stage 9 at the destination (cross-province)
    # the region whose fund pays the months (an in-province transfer keeps the source's)
    paying_region_code: str | None = None
    # check-ins recorded from the registration on, before the eligibility decision: they
    # become the benefit months' check-ins on approval (workflows/claim/check_ins.py)
    early_check_ins: list[date] = field(default_factory=list)
    tasks: dict[str, TaskState] = field(default_factory=dict)
    event_seq: int = 0
    unsynced_events: list[CaseEventRecord] = field(default_factory=list)
    # "<end-to-end ID>:<status>" of each bank status the case was told (told at least once)
    payment_updates: list[str] = field(default_factory=list)
    # the latest check-in requests applied (workflows/claim/case_updates.py), a retry's answer
    check_in_requests: list[CheckInRequest] = field(default_factory=list)
