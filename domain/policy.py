"""Region policy tables: figures that vary by region and date (DOMAIN.md *policy*).

Pure: validates an already-parsed TOML document (a dict). A file holds
``[[periods]]`` with ``effective_from`` dates; the first period is complete and a
later one lists only what changes. Later periods are deep-merged over the one
before (tables merge key by key, lists and values replace; a table that sets
``rule`` replaces the inherited table, so switching a benefit rule never
inherits the old rule's figures).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from domain.entitlement import DurationBand
from domain.identifiers import InvalidIdentifier, validate_card_number
from domain.retirement import WomenGroup

DEADLINE_KINDS = ("employer_report", "registration", "review")
REQUIRED_TASK_KINDS = ("employer_report_overdue", "late_registration", "missed_check_in")
# task kinds due after a period counted like a statutory deadline (days, calendar or working
# days through the holiday calendar, reminders): periods.task_deadlines
TASK_DEADLINE_KINDS = ("recovery_offset_review",)
MONEY_REASON = 'must be a decimal with 2 places, written as a string like "755.00"'


class PolicyError(ValueError):
    """A policy file is invalid: ``file``, dotted ``key`` and ``reason``."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file, self.key, self.reason = file, key, reason
        super().__init__(f"{file}: {key}: {reason}" if key else f"{file}: {reason}")


class NoPolicyInForce(LookupError):
    """The date lies before a region's first policy period."""


def _decimal(value: object, reason: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(reason)
    try:
        d = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError(reason) from None
    if not d.is_finite():
        raise ValueError(reason)
    return d


def _money(value: object) -> Decimal:
    d = _decimal(value, MONEY_REASON)
    exponent = d.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -2:
        raise ValueError(MONEY_REASON)
    if d <= 0:
        raise ValueError("must be greater than 0")
    return d.quantize(Decimal("0.01"))


def _percent(value: object) -> Decimal:
    d = _decimal(value, 'must be a number or a decimal string like "62.5"')
    if not 0 < d <= 100:
        raise ValueError("must be a percentage above 0 and at most 100")
    return d


def _percent_factor(value: object) -> Decimal:
    d = _decimal(value, 'must be a decimal string like "1.8"')
    if not 1 <= d <= 10:
        raise ValueError("must be a factor from 1 to 10")
    return d


def _card_number(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError('must be a string of digits like "6222020200880000019"')
    try:
        return validate_card_number(value)
    except InvalidIdentifier as err:
        raise ValueError(str(err)) from None


def _toml_date(value: object) -> date:
    if type(value) is not date:
        raise ValueError("must be a TOML date like 2023-10-01 (no quotes, no time)")
    return value


Money = Annotated[Decimal, BeforeValidator(_money)]
Percent = Annotated[Decimal, BeforeValidator(_percent)]
TomlDate = Annotated[date, BeforeValidator(_toml_date)]
Days = Annotated[int, Strict(), Field(ge=1)]
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class BenefitRule(BaseModel):
    """Monthly benefit: a ``fixed`` amount or a percentage of the minimum wage."""

    model_config = _FROZEN
    rule: Literal["fixed", "percent_of_min_wage"]
    amount: Money | None = None
    percent: Percent | None = None
    min_wage: Money | None = None
    floor: Money | None = None

    @model_validator(mode="after")
    def _consistent(self) -> BenefitRule:
        if self.rule == "fixed":
            if self.amount is None or self.percent is not None:
                raise ValueError("rule 'fixed' needs amount and takes no percent")
            if self.min_wage is not None and self.amount > self.min_wage:
                raise ValueError("amount must not exceed min_wage")
            if self.floor is not None and self.amount < self.floor:
                raise ValueError("amount must not be below floor")
        elif self.percent is None or self.min_wage is None or self.amount is not None:
            raise ValueError("rule 'percent_of_min_wage' needs percent and min_wage, no amount")
        if self.floor and self.min_wage and self.floor > self.min_wage:
            raise ValueError("floor must not exceed min_wage")
        return self


class DeadlineRule(BaseModel):
    """A statutory period: its length, how days count, reminder offsets."""

    model_config = _FROZEN
    days: Days
    day_kind: Literal["calendar", "working"]
    reminders: tuple[Annotated[int, Strict(), Field(ge=0)], ...] = ()

    @field_validator("reminders")
    @classmethod
    def _before_due(cls, v: tuple[int, ...], info: ValidationInfo) -> tuple[int, ...]:
        days = info.data.get("days")
        late = [r for r in v if days is not None and r >= days]
        if late:
            raise ValueError(f"reminder day {late[0]} is not before day {days}")
        return tuple(sorted(set(v)))


class AgencyAccount(BaseModel):
    """The medical-insurance agency's account that premium transfers go to."""

    model_config = _FROZEN
    bank_code: Annotated[str, Strict(), Field(min_length=1, max_length=16)]
    account_number: Annotated[str, BeforeValidator(_card_number)]
    account_name: Annotated[str, Strict(), Field(min_length=1, max_length=128)]


def fund_code(region_code: str) -> str:
    """The ledger's name of a region's unemployment-insurance fund (issue 12 §3)."""
    return f"UI-{region_code}"


class FundAccount(AgencyAccount):
    """The region's unemployment-insurance fund: its ledger code, name and bank account (a
    cross-province transfer pays the remaining months' money into it)."""

    code: Annotated[str, Strict(), Field(pattern=r"^[A-Z]{2}-\d{6}$")]
    name: Annotated[str, Strict(), Field(min_length=1, max_length=128)]


MonthDay = Annotated[int, Strict(), Field(ge=1, le=28)]


class MedicalRule(BaseModel):
    """Medical + maternity premium paid by the UI fund and its monthly declaration to the
    medical-insurance agency (DOMAIN.md stage 6; seed 000 范文1)."""

    model_config = _FROZEN
    base_percent_of_avg_wage: Percent
    avg_wage: Money
    rate_percent: Percent
    rounding: Literal["half_up", "half_even", "down"]
    declaration_start_day: MonthDay
    declaration_end_day: MonthDay
    partial_month: Literal["full", "none"]
    cash_option_max_months: Days
    agency_unavailable_alert_hours: Days
    agency_account: AgencyAccount

    @field_validator("declaration_end_day")
    @classmethod
    def _window_not_empty(cls, v: int, info: ValidationInfo) -> int:
        start = info.data.get("declaration_start_day")
        if start is not None and v < start:
            raise ValueError(
                f"the declaration window ends on day {v}, before it starts"
                f" (declaration_start_day = {start})"
            )
        return v


class StopRule(BaseModel):
    """Stop events (domain/stops.py): how far ahead an effective date may be (local
    practice), the death grants in months of benefit (seed 000 art. 23: funeral 7, survivors
    5 per dependent, 15 for three or more, +80% for a death in public service)."""

    model_config = _FROZEN
    future_limit_days: Days = 30
    funeral_grant_months: Days = 7
    survivor_months_per_dependent: Days = 5
    survivor_months_three_or_more: Days = 15
    public_service_factor: Annotated[Decimal, BeforeValidator(_percent_factor)] = Decimal("1.8")


class _BandIn(BaseModel):
    model_config = _FROZEN
    min_months: Annotated[int, Strict(), Field(ge=0)]
    max_months: Annotated[int, Strict(), Field(ge=1)] | None = None
    benefit_months: Days


class PolicyPeriod(BaseModel):
    """One complete (merged) period of a region's policy."""

    model_config = _FROZEN
    effective_from: date
    benefit: BenefitRule
    rounding: Literal["half_up", "half_even", "down"]
    proration: Literal["daily", "none"]
    deadlines: dict[str, DeadlineRule]
    late_registration_window_days: int
    min_contribution_months: int
    max_entitlement_months: int
    duration: tuple[DurationBand, ...]
    task_due_days: dict[str, int]
    task_deadlines: dict[str, DeadlineRule]
    task_reminder_days_before: int
    check_in_reminder_days: int
    bank_unavailable_alert_hours: int
    payout_days: tuple[int, ...]
    release_approval_threshold: Decimal
    medical: MedicalRule
    women_retirement_group: WomenGroup
    stops: StopRule = StopRule()


V = TypeVar("V")


def _every(v: dict[str, V], kinds: tuple[str, ...], what: str) -> dict[str, V]:
    """`v` with a value for each of `kinds`, or a ValueError naming the first missing."""
    missing = [k for k in kinds if k not in v]
    if missing:
        raise ValueError(f"missing {what} {missing[0]!r}")
    return v


class _PeriodIn(BaseModel):
    """A period as written in TOML (validated after merging)."""

    model_config = _FROZEN
    effective_from: TomlDate
    benefit: BenefitRule
    rounding: Literal["half_up", "half_even", "down"]
    proration: Literal["daily", "none"]
    deadlines: dict[Literal["employer_report", "registration", "review"], DeadlineRule]
    late_registration_window_days: Days
    min_contribution_months: Days
    max_entitlement_months: Days
    duration: tuple[_BandIn, ...]
    task_due_days: dict[str, Days]
    task_deadlines: dict[str, DeadlineRule]
    task_reminder_days_before: Days
    check_in_reminder_days: Days
    bank_unavailable_alert_hours: Days
    payout_days: tuple[Annotated[int, Strict(), Field(ge=1, le=28)], ...]
    release_approval_threshold: Money
    medical: MedicalRule
    # which original retirement age the pre-check assumes for a woman (domain/retirement.py)
    women_retirement_group: WomenGroup
    stops: StopRule = StopRule()  # seed 000 art. 23 when a region does not say

    @field_validator("deadlines")
    @classmethod
    def _all_deadlines(cls, v: dict[str, DeadlineRule]) -> dict[str, DeadlineRule]:
        return _every(v, DEADLINE_KINDS, "deadline")

    @field_validator("task_due_days")
    @classmethod
    def _all_tasks(cls, v: dict[str, int]) -> dict[str, int]:
        return _every(v, REQUIRED_TASK_KINDS, "task kind")

    @field_validator("task_deadlines")
    @classmethod
    def _all_task_deadlines(cls, v: dict[str, DeadlineRule]) -> dict[str, DeadlineRule]:
        unknown = [k for k in v if k not in TASK_DEADLINE_KINDS]
        if unknown:
            raise ValueError(f"no task kind {unknown[0]!r} is due by a period")
        return _every(v, TASK_DEADLINE_KINDS, "task kind")

    @field_validator("payout_days")
    @classmethod
    def _some_payout_day(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or len(set(v)) != len(v):
            raise ValueError("must list at least one day, each once")
        return tuple(sorted(v))

    @field_validator("duration")
    @classmethod
    def _contiguous(cls, bands: tuple[_BandIn, ...], info: ValidationInfo) -> tuple[_BandIn, ...]:
        if not bands:
            raise ValueError("must list at least one band")
        first = info.data.get("min_contribution_months")
        if first is not None and bands[0].min_months != first:
            raise ValueError(
                f"band 0 must start at min_contribution_months ({first}), not {bands[0].min_months}"
            )
        cap = info.data.get("max_entitlement_months")
        for i, band in enumerate(bands):
            top = band.max_months
            if top is not None and top <= band.min_months:
                raise ValueError(f"band {i}: max_months must exceed min_months")
            if cap is not None and band.benefit_months > cap:
                raise ValueError(f"band {i}: benefit_months above {cap}")
            if i + 1 < len(bands) and top != bands[i + 1].min_months:
                raise ValueError(
                    f"band {i + 1} must start at {top} where band {i} ends "
                    f"(bands must be contiguous, ascending, non-overlapping)"
                )
        if bands[-1].max_months is not None:
            raise ValueError("the last band must be open (no max_months)")
        return bands

    def to_period(self) -> PolicyPeriod:
        data = self.model_dump(exclude={"duration"})
        bands = tuple(
            DurationBand(b.min_months, b.max_months, b.benefit_months) for b in self.duration
        )
        return PolicyPeriod.model_validate({**data, "duration": bands})


class _FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region_code: Annotated[str, Strict(), Field(pattern=r"^\d{6}$")]
    name: Annotated[str, Strict(), Field(min_length=1)]
    province_code: Annotated[str, Strict(), Field(pattern=r"^\d{2}$")]
    sources: list[Annotated[str, Strict()]] = Field(min_length=1)
    illustrative: Annotated[bool, Strict()] = False
    fund: FundAccount | None = None
    periods: list[dict[str, Any]] = Field(min_length=1)


class RegionPolicy(BaseModel):
    """A validated region policy file."""

    model_config = ConfigDict(frozen=True)
    region_code: str
    name: str
    province_code: str
    sources: tuple[str, ...]
    illustrative: bool
    periods: tuple[PolicyPeriod, ...]
    fund: FundAccount | None = None

    @property
    def fund_code(self) -> str:
        """The fund the region's ledger entries belong to (its policy's, else `UI-<code>`)."""
        return self.fund.code if self.fund is not None else fund_code(self.region_code)

    def at(self, on: date) -> PolicyPeriod:
        """The period in force on ``on`` (NoPolicyInForce before the first)."""
        in_force = [p for p in self.periods if p.effective_from <= on]
        if not in_force:
            first = self.periods[0].effective_from.isoformat()
            raise NoPolicyInForce(f"{self.region_code}: no policy before {first} (asked for {on})")
        return in_force[-1]

    def version_at(self, on: date) -> str:
        """``"<region_code>@<effective_from>"`` of the period in force on ``on``."""
        return f"{self.region_code}@{self.at(on).effective_from.isoformat()}"


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping) and "rule" not in value:
            out[key] = _deep_merge(old, value)
        else:
            out[key] = value
    return out


def _dotted(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        elif part != "[key]":
            key += f".{part}" if key else part
    return key


def policy_error(file: str, err: ValidationError, prefix: tuple[int | str, ...]) -> PolicyError:
    """The first of pydantic's errors as a PolicyError naming the file and the dotted key."""
    first = err.errors()[0]
    reason = {
        "extra_forbidden": "unknown key",
        "missing": "required key missing",
    }.get(first["type"], first["msg"].removeprefix("Value error, "))
    return PolicyError(file, _dotted(prefix + tuple(first["loc"])), reason)


def parse_region_policy(data: Mapping[str, Any], file: str) -> RegionPolicy:
    """Validate a parsed policy file; ``file`` names it in errors and must be
    ``<region_code>.toml``. Raises PolicyError on the first problem."""
    try:
        head = _FileIn.model_validate(data)
    except ValidationError as e:
        raise policy_error(file, e, ()) from None
    stem = PurePosixPath(file.replace("\\", "/")).stem
    if head.region_code != stem:
        raise PolicyError(file, "region_code", f"{head.region_code} does not match the file name")
    if not head.region_code.startswith(head.province_code):
        raise PolicyError(file, "province_code", "is not the start of region_code")
    periods: list[PolicyPeriod] = []
    merged: dict[str, Any] = {}
    for i, raw in enumerate(head.periods):
        if "effective_from" not in raw:
            raise PolicyError(file, f"periods[{i}].effective_from", "required key missing")
        merged = _deep_merge(merged, raw)
        try:
            period = _PeriodIn.model_validate(merged).to_period()
        except ValidationError as e:
            raise policy_error(file, e, ("periods", i)) from None
        if periods and period.effective_from <= periods[-1].effective_from:
            raise PolicyError(
                file,
                f"periods[{i}].effective_from",
                f"must be later than {periods[-1].effective_from.isoformat()}",
            )
        periods.append(period)
    return RegionPolicy(
        region_code=head.region_code,
        name=head.name,
        province_code=head.province_code,
        sources=tuple(head.sources),
        illustrative=head.illustrative,
        periods=tuple(periods),
        fund=head.fund,
    )
