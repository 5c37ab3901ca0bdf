"""Stop events (issue 11 §1-3): the `report_event` Update's input and answer, what the case
keeps of a stop event, a job refusal, the survivor and licence data, and the settlement
activity's input and output (workflows/claim/stops.py, activities/stops.py)."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from payloads.submissions import BankAccount

EventStatus = Literal["reported", "settled", "awaiting_approval", "approved", "refused", "closed"]


@dataclass(kw_only=True)
class EventData:
    """What the clerk records with the event (the contract's `data`)."""

    evidence: str  # the document reference (e.g. the labour contract, death certificate)
    dependents: int | None = None  # died: dependents the deceased supported (seed 000 art. 23)
    public_service: bool = False  # died in public service (因公益事业死亡): × 1.8
    unlawful: bool = False  # died in the course of a crime: no grants (art. 23 ¶2)
    survivor_account: BankAccount | None = None  # died: where the grants are paid
    uscc: str | None = None  # self_employed: the business licence's code (营业执照)


@dataclass(kw_only=True)
class StopEventInput:
    type: str
    effective_date: date
    data: EventData
    actor: str
    actor_roles: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class StopEventResult:
    type: str
    effective_date: date
    status: str  # stopping | awaiting_confirmation


@dataclass(kw_only=True)
class StopEvent:
    """A stop event accepted on the case (one per case)."""

    type: str
    effective_date: date
    data: EventData
    reported_by: str
    reported_at: datetime
    status: EventStatus = "reported"
    task_id: str | None = None  # the reviewer's approval (died, self_employed)
    overpayment: Decimal | None = None
    last_paid_day: date | None = None


@dataclass(kw_only=True)
class Refusal:
    """A refused job or training offer, confirmed or not by a reviewer (seed 000 art. 26(4))."""

    n: int
    effective_date: date
    data: EventData
    reported_by: str
    task_id: str
    status: Literal["pending", "confirmed", "rejected"] = "pending"


@dataclass(kw_only=True)
class SettleStopInput:
    key: str
    case_id: str
    type: str
    effective_date: date
    proration: str
    rounding: str
    actor: str
    at: datetime
    policy_version: str | None
    evidence: str


@dataclass(kw_only=True)
class SettleStopResult:
    last_paid_day: date | None
    overpayment: Decimal
    months: list[dict[str, str | int]] = field(default_factory=list)


@dataclass(kw_only=True)
class OverpaymentInput:
    """The hook the recovery records are wired to (issue 11 §4)."""

    case_id: str
    amount: Decimal
    cause: str
    key: str
    at: datetime
    months: list[int] = field(default_factory=list)
    evidence: str = ""  # the stop event's document reference
