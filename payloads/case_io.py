"""What goes into and comes out of a ClaimWorkflow besides its two submissions: the start and
continue-as-new input, the result, and the Updates a clerk or supervisor sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from payloads.case_state import CaseState, DeadlineKind


@dataclass(kw_only=True)
class ClaimInput:
    case_id: str
    state: CaseState | None = None  # carried across continue-as-new


@dataclass(kw_only=True)
class ClaimResult:
    case_id: str
    status: str
    closure_reason: str | None


CheckInChannel = Literal["api", "online", "counter"]  # counter: in person, by a clerk
CHECK_IN_CHANNELS: tuple[CheckInChannel, ...] = get_args(CheckInChannel)


@dataclass(kw_only=True)
class CheckInInput:
    on: date | None = None
    actor: str = ""
    channel: CheckInChannel = "api"
    # the API's request (its update ID): the same request again is answered with the first
    # one's result, not applied twice (CaseState.check_in_requests)
    request_id: str | None = None


@dataclass(kw_only=True)
class CheckInResult:
    month: int
    period_start: date
    period_end: date
    on: date


@dataclass(kw_only=True)
class CalendarChanged:
    """Signal: an administrator loaded the official holiday schedule of `year`."""

    year: int
    version: int = 0


@dataclass(kw_only=True)
class ExtendDeadlineInput:
    kind: DeadlineKind
    days: int
    reason: str
    actor: str
    actor_roles: list[str]


@dataclass(kw_only=True)
class CashOptionRequest:
    """A clerk records the claimant's written request to receive the medical premium in cash
    with the benefit (seed 000 范文1 §4.6; workflows/claim/medical.py)."""

    requested_on: date
    insured_elsewhere: str  # a key of domain.medical.INSURED_ELSEWHERE
    actor: str
    written_request: bool = True


@dataclass(kw_only=True)
class CashOptionResult:
    months_left: int
    cash_option: bool


@dataclass(kw_only=True)
class TransferRequest:
    """A clerk moves an active case to another pooling region (DOMAIN.md stage 9)."""

    to_region_code: str
    actor: str


@dataclass(kw_only=True)
class TransferResult:
    kind: str
    from_region_code: str
    to_region_code: str
    months_left: int
    destination_case_id: str | None = None
