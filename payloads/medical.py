"""Medical insurance (DOMAIN.md stage 6, seed 000 范文1): the declaration and calendar
workflows' inputs and state, the agency's answer signal, and the inputs and answers of the
medical activities (activities/medical_*.py). One dataclass each; new fields get defaults."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from payloads.calendars import Started

DeclarationStage = Literal[
    "assembling", "empty", "declaring", "awaiting_answer", "following_up", "done"
]


@dataclass
class MedicalDeclarationInput:
    region_code: str
    month: date  # the first day of the month declared


@dataclass(kw_only=True)
class DeclarationStatus:
    """The declaration workflow's state (its `state` query)."""

    region_code: str
    month: date
    status: DeclarationStage = "assembling"
    batches: list[str] = field(default_factory=list)
    accepted: int = 0
    rejected_cases: list[str] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)
    cash_premiums: int = 0


@dataclass
class EnrolInput:
    """The case became active: its claimant is covered from `start_date` (范文1 §1)."""

    case_id: str
    region_code: str
    national_id: str  # the agency needs it; kept in medical_coverage, never logged
    name: str
    start_date: date
    at: datetime
    bank_code: str | None = None  # the claimant's account: a cash-option premium goes there
    account_number: str | None = None
    account_name: str | None = None


@dataclass
class StopInput:
    """Benefits end: cover stops from `stop_date`, the first day without benefit (停保)."""

    case_id: str
    stop_date: date
    reason: str
    at: datetime


@dataclass
class CashOptionInput:
    """A clerk records the claimant's written request to receive the premium (范文1 §4.6)."""

    case_id: str
    requested_on: date
    months_left: int
    insured_elsewhere: str  # a key of domain.medical.INSURED_ELSEWHERE
    actor: str
    at: datetime
    written_request: bool = True
    bank_code: str | None = None  # where to pay it, when not the account given at enrolment
    account_number: str | None = None
    account_name: str | None = None


@dataclass
class CoverageView:
    """A coverage as activities answer it: no identity number (it would enter histories)."""

    case_id: str
    region_code: str
    person_ref: str
    start_date: date
    stop_date: date | None
    status: str
    cash_option: bool


@dataclass
class NextWindowInput:
    region_code: str
    on: date  # the first day that may declare


@dataclass
class WindowDays:
    month: date
    opens: date
    closes: date
    provisional: bool = False
    policy_version: str = ""


@dataclass
class MedicalCalendarInput:
    region_code: str
    # carried over continue-as-new (workflows/medical_calendar.py, CALENDAR_LOOP): the next
    # declaration window, looked up at the last one (None: look it up from today)
    next_window: WindowDays | None = None


@dataclass
class AssembleInput:
    region_code: str
    month: date  # the first day of the month declared
    workflow_id: str
    at: datetime


@dataclass
class BatchSummary:
    batch_key: str
    lines: int
    premium_total: Decimal
    cash_premiums: int = 0  # cash-option premiums owed to claimants this month (no lines)
    alert_hours: int = 24  # the policy's limit before finance hears the agency is down


@dataclass
class BatchInput:
    batch_key: str
    at: datetime


@dataclass
class RejectedCase:
    """The lines of one case the agency rejected in a batch (one clerk task)."""

    case_id: str
    line_ids: list[str]
    reasons: list[str]


@dataclass
class RefundRef:
    """A duplicate premium to come back to the fund, pending 初审 and 复审."""

    end_to_end_id: str
    case_id: str
    month: int  # YYYYMM
    amount: Decimal


@dataclass
class AppliedAnswer:
    batch_key: str
    accepted: int = 0
    rejected: list[RejectedCase] = field(default_factory=list)
    refunds: list[RefundRef] = field(default_factory=list)


@dataclass
class RedeclareInput:
    batch_key: str  # the batch whose rejected lines go again
    case_id: str
    new_batch_key: str
    workflow_id: str
    at: datetime


@dataclass
class WithdrawInput:
    batch_key: str
    case_id: str
    actor: str
    reason: str
    at: datetime


@dataclass
class RefundDecisionInput:
    end_to_end_id: str
    stage: str  # first (初审) | second (复审)
    outcome: str  # approve | reject
    actor: str
    at: datetime
    reason: str | None = None


@dataclass
class AgencyAnswerRef:
    """The API verified and kept the agency's answer to a batch (its webhook)."""

    batch_key: str


@dataclass
class MedicalRegion:
    """A region's place in the one medical calendar (workflows/medical_calendar.py,
    `AllRegionsMedicalCalendarWorkflow`), carried from moment to moment."""

    window: WindowDays | None = None  # its next window, not started yet (None: look it up)
    on: date | None = None  # the look-up's: the first window not closed by it (None: today)
    failures: int = 0  # moments in a row its look-up or start failed (retried sooner, backing off)
    error: str = ""  # the last failure, as the activity's log said it


@dataclass
class AllMedicalCalendarInput:
    # carried over continue-as-new: each region's place (a region not in it, e.g. one added to
    # the policy since, is looked up from today) and the next moment (None: at once)
    regions: dict[str, MedicalRegion] = field(default_factory=dict)
    next_at: datetime | None = None
    only: list[str] | None = None  # these regions alone (tests); None: the policy's, each moment


@dataclass
class MedicalMomentInput:
    now: datetime  # the workflow's time (the simulated one on the time-skipping server)
    regions: dict[str, MedicalRegion]
    only: list[str] | None = None


@dataclass
class MedicalMoment:
    regions: dict[str, MedicalRegion]  # each region's place after the moment
    next_at: datetime  # the earliest region's window opening, or a failed region's retry
    started: list[Started] = field(default_factory=list)  # the declarations due (or skipped)
    failed: dict[str, str] = field(default_factory=dict)  # region: why (retried at `next_at`)
