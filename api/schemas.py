"""Request and response bodies of the REST contract (ARCHITECTURE.md, "REST contract")."""

from __future__ import annotations

import re
from datetime import date, datetime
from datetime import date as Date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.eligibility import ALL_REASONS
from domain.identifiers import (
    InvalidIdentifier,
    validate_card_number,
    validate_national_id,
    validate_uscc,
)

_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _phone(v: str | None) -> str | None:
    if v is not None and not _PHONE.match(v):
        raise ValueError("not a phone number")
    return v


def _email(v: str | None) -> str | None:
    if v is not None and not _EMAIL.match(v):
        raise ValueError("not an e-mail address")
    return v


def _national_id(v: str) -> str:
    try:
        return validate_national_id(v)
    except InvalidIdentifier as err:
        raise ValueError(str(err)) from None


class EmployerIn(Strict):
    uscc: str = Field(description="unified social credit code (GB 32100)")
    name: str = Field(min_length=1, max_length=256)
    email: str | None = Field(default=None, max_length=256)
    phone: str | None = None

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, v: str) -> str:
        try:
            return validate_uscc(v)
        except InvalidIdentifier as err:
            raise ValueError(str(err)) from None

    _v_email = field_validator("email")(_email)
    _v_phone = field_validator("phone")(_phone)


class ClaimantIn(Strict):
    national_id: str = Field(description="resident identity number (GB 11643), 18 characters")
    name: str = Field(min_length=1, max_length=128)
    phone: str | None = None
    email: str | None = Field(default=None, max_length=256)

    _v_id = field_validator("national_id")(_national_id)
    _v_email = field_validator("email")(_email)
    _v_phone = field_validator("phone")(_phone)


class EmployerReportIn(Strict):
    """The employer's termination report, due within 15 days of the separation."""

    employer: EmployerIn
    claimant: ClaimantIn
    region_code: str = Field(pattern=r"^[0-9]{6}$", description="pooling region code")
    separation_date: date
    notice_date: date
    reason_code: str
    contribution_months: int = Field(ge=0, le=720)

    @field_validator("reason_code")
    @classmethod
    def _reason(cls, v: str) -> str:
        if v not in ALL_REASONS:
            raise ValueError(f"must be one of: {', '.join(sorted(ALL_REASONS))}")
        return v

    @model_validator(mode="after")
    def _dates(self) -> EmployerReportIn:
        if self.notice_date < self.separation_date:
            raise ValueError("notice_date: the notice cannot come before the separation")
        return self


class BankAccountIn(Strict):
    bank_code: str = Field(min_length=2, max_length=16)
    account_number: str = Field(min_length=8, max_length=34)
    account_name: str = Field(min_length=1, max_length=128)
    kind: str = Field(default="card", pattern="^(card|account)$")

    @model_validator(mode="after")
    def _number(self) -> BankAccountIn:
        digits = self.account_number.replace(" ", "")
        if not digits.isdigit():
            raise ValueError("account_number: digits only")
        if self.kind == "card":
            try:
                validate_card_number(digits)
            except InvalidIdentifier as err:
                raise ValueError(f"account_number: {err}") from None
        self.account_number = digits
        return self


class NamedEmployerIn(Strict):
    uscc: str | None = None
    name: str | None = Field(default=None, max_length=256)
    email: str | None = Field(default=None, max_length=256)

    _v_email = field_validator("email")(_email)


class RegistrationIn(Strict):
    """The claimant's unemployment registration and benefit application (30 days)."""

    national_id: str
    name: str = Field(min_length=1, max_length=128)
    phone: str | None = None
    email: str | None = Field(default=None, max_length=256)
    region_code: str = Field(pattern=r"^[0-9]{6}$", description="pooling region code")
    separation_date: date
    notice_date: date | None = None
    bank_account: BankAccountIn
    seeking_work: bool
    employer: NamedEmployerIn | None = Field(
        default=None, description="the former employer, so it can be reminded to report"
    )

    _v_id = field_validator("national_id")(_national_id)
    _v_email = field_validator("email")(_email)
    _v_phone = field_validator("phone")(_phone)

    @model_validator(mode="after")
    def _dates(self) -> RegistrationIn:
        if self.notice_date is not None and self.notice_date < self.separation_date:
            raise ValueError("notice_date: the notice cannot come before the separation")
        return self


class CaseRef(BaseModel):
    case_id: str


class Deadlines(BaseModel):
    employer_report: date | None = None
    registration: date | None = None
    review: date | None = None


class DeadlinesProvisional(BaseModel):
    """Per deadline: computed without the official holiday schedule of a year it consulted
    (weekends only skipped) until an admin loads that year; details in `deadline_details`."""

    employer_report: bool = False
    registration: bool = False
    review: bool = False


class Entitlement(BaseModel):
    months: int
    monthly_amount: str
    start_date: date
    end_date: date | None


class CaseEventOut(BaseModel):
    seq: int
    at: datetime | None
    type: str
    actor: str | None
    data: dict[str, Any]


class CaseSummary(BaseModel):
    case_id: str
    region_code: str = Field(pattern=r"^[0-9]{6}$", description="pooling region code")
    status: str
    stage: str
    closure_reason: str | None
    claimant_name: str | None
    national_id_masked: str | None
    employer_name: str | None
    separation_date: date | None
    deadlines: Deadlines
    deadlines_provisional: DeadlinesProvisional = Field(default_factory=DeadlinesProvisional)
    updated_at: datetime | None


class TaskOut(BaseModel):
    task_id: str
    kind: str
    case_id: str | None
    group: str
    assignee: str | None
    status: str
    priority: int
    title: str
    due_at: datetime | None
    escalated: bool
    created_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    outcome: str | None
    reason: str | None
    original_group: str | None = None
    provisional: bool = False  # due by a deadline computed without its year's calendar
    claimant_name: str | None = None
    national_id_masked: str | None = None


class DeterminationOut(BaseModel):
    key: str
    kind: str
    outcome: str
    actor: str
    at: datetime | None
    policy_version: str | None
    code_version: str
    inputs: dict[str, Any]
    result: dict[str, Any]
    reasons: list[str]
    reason_text: str | None


class AuditOut(BaseModel):
    at: datetime | None
    actor: str
    action: str
    entity_type: str
    entity_id: str
    reason: str | None
    data: dict[str, Any]


class ExtendDeadlineIn(Strict):
    days: int = Field(ge=1, le=90)
    reason: str = Field(min_length=1, max_length=2000)


class DeadlineOut(BaseModel):
    kind: str
    due_date: date
    extensions: list[dict[str, Any]]


class CaseDetail(CaseSummary):
    notice_date: date | None
    employer_report_received: date | None
    registration_date: date | None
    deadline_details: dict[str, Any]
    proposal: dict[str, Any] | None
    entitlement: Entitlement | None
    decision: dict[str, Any] | None
    payments: list[dict[str, Any]]
    tasks: list[TaskOut]
    events: list[CaseEventOut]
    determinations: list[DeterminationOut]
    audit: list[AuditOut]


class CheckInIn(BaseModel):
    date: Date | None = Field(default=None, description="defaults to today on the system clock")
    channel: str = Field(default="counter", pattern="^(counter|online)$")


class CheckInOut(BaseModel):
    month: int
    period_start: Date
    period_end: Date
    on: Date


class CashOptionIn(Strict):
    requested_on: Date = Field(description="the day of the claimant's written request")
    insured_elsewhere: str = Field(
        min_length=1,
        max_length=32,
        description="rural_cooperative | urban_resident | flexible_employment (范文1 §4.6)",
    )
    written_request: bool = True


class CashOptionOut(BaseModel):
    months_left: int
    cash_option: bool


class TransferIn(Strict):
    to_region_code: str = Field(min_length=1, max_length=16)


class TransferOut(BaseModel):
    case_id: str
    kind: str  # in_province | cross_province
    from_region_code: str
    to_region_code: str
    months_left: int
    destination_case_id: str | None = None


class CompleteTaskIn(Strict):
    outcome: str = Field(min_length=1, max_length=32)
    reason: str | None = Field(default=None, max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict)


class AdvanceClockIn(Strict):
    days: float = Field(gt=0, le=3660, description="how many days to move simulated time on")


class ClockOut(BaseModel):
    now: datetime
    today: date


class ClockJobOut(ClockOut):
    """A simulated-clock advance (api/clock_jobs.py): `now` is the time after its last step."""

    job_id: str
    status: Literal["running", "done", "failed"]
    days_done: float
    days_total: float
    started_at: datetime
    error: str | None = None
