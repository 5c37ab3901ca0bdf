"""Inputs and answers of the rule activities (activities/rules.py): answers that depend on
data that may change (policy tables, the holiday calendar), recorded in a workflow's history.
The policy values and the proposal they answer with are case state (payloads/case_state.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from payloads.case_state import DeadlineKind


@dataclass(kw_only=True)
class PlanDeadlineInput:
    region_code: str
    kind: DeadlineKind
    start: date


@dataclass(kw_only=True)
class DeadlinePlan:
    kind: DeadlineKind
    start: date
    due_date: date
    reminders: list[date] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    policy_version: str = ""
    # computed without the official schedule of these years (weekends-only fallback)
    provisional: bool = False
    provisional_years: list[int] = field(default_factory=list)


@dataclass(kw_only=True)
class PlanTaskDueInput:
    """When a task of `kind` opened on `start` in `region_code` is due (policy
    periods.task_deadlines)."""

    region_code: str
    kind: str
    start: date


@dataclass(kw_only=True)
class TaskDuePlan:
    kind: str
    due_date: date
    reminders: list[date] = field(default_factory=list)
    policy_version: str = ""
    provisional: bool = False  # counted without the official schedule of a year


@dataclass(kw_only=True)
class CasePolicyInput:
    region_code: str
    on: date


@dataclass(kw_only=True)
class AssessInput:
    region_code: str
    on: date
    contribution_months: int | None
    reason_code: str | None
    registered: bool
    seeking_work: bool | None
    # the claimant's (birth date and sex): the retirement-age pre-check; None skips it
    national_id: str | None = None


@dataclass(kw_only=True)
class MonthAmountInput:
    region_code: str
    on: date


@dataclass(kw_only=True)
class MonthAmount:
    amount: Decimal
    policy_version: str


@dataclass(kw_only=True)
class NextPayoutInput:
    region_code: str
    after: date
