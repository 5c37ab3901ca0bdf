"""Rule activities: answers that depend on data that may change (policy tables, the holiday
calendar). Running them as activities records the answer in the case's history, so editing
a policy or loading a new holiday year never changes the replay of a running case."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.calendar_years import LiveCalendar
from db.claimant_history import Carry
from domain.amounts import monthly_amount
from domain.calendar import HolidayCalendar
from domain.deadlines import Deadline, compute_deadline, reminder_dates
from domain.eligibility import precheck
from domain.entitlement import entitlement_end, entitlement_months
from domain.identifiers import birth_date_from_national_id, sex_from_national_id
from domain.policy import DeadlineRule, NoPolicyInForce, PolicyPeriod, RegionPolicy
from payloads.case_state import CasePolicy, PrecheckItem, Proposal
from payloads.errors import NO_POLICY
from payloads.rules import (
    AssessInput,
    CasePolicyInput,
    DeadlinePlan,
    MonthAmount,
    MonthAmountInput,
    NextPayoutInput,
    PlanDeadlineInput,
    PlanTaskDueInput,
    TaskDuePlan,
)
from policy import PolicyBook, PolicySource, UnknownRegion


def no_policy(message: str) -> ApplicationError:
    """Permanent: the policy data has nothing for this (the workflow asks a supervisor)."""
    return ApplicationError(message, type=NO_POLICY, non_retryable=True)


def region_of(book: PolicyBook, code: str) -> RegionPolicy:
    try:
        return book.region(code)
    except UnknownRegion:
        raise no_policy(f"unknown region {code}") from None


def period_at(region: RegionPolicy, on: date) -> PolicyPeriod:
    try:
        return region.at(on)
    except NoPolicyInForce as err:
        raise no_policy(str(err)) from None


class CarrySource(Protocol):
    def carry(self, national_id: str) -> Carry: ...


class RuleActivities:
    def __init__(
        self,
        policy: PolicySource,
        calendars: LiveCalendar | None = None,
        history: CarrySource | None = None,
    ) -> None:
        self.policy = policy
        self.calendars = calendars  # the years an admin loaded, re-read when they change
        # the claimant history: unused months of the person's earlier cases (None: none)
        self.history = history

    def _calendar(self, book: PolicyBook | None = None) -> HolidayCalendar:
        base = (book or self.policy.current()).calendar
        return base if self.calendars is None else self.calendars.current(base)

    def _region(self, code: str, book: PolicyBook | None = None) -> RegionPolicy:
        return region_of(book or self.policy.current(), code)

    def _counted(self, what: str, start: date, rule: DeadlineRule) -> tuple[Deadline, list[date]]:
        """A period of `rule` from `start` on the calendar of this moment (its warnings
        logged), and its reminder days."""
        deadline = compute_deadline(start, rule.days, rule.day_kind, self._calendar())
        for warning in deadline.warnings:
            activity.logger.warning("%s from %s: %s", what, start, warning)
        return deadline, reminder_dates(start, rule.reminders, deadline.due_date)

    @activity.defn
    def plan_deadline(self, inp: PlanDeadlineInput) -> DeadlinePlan:
        """Due date and reminder days of one period (DOMAIN.md "Stages and deadlines")."""
        region = self._region(inp.region_code)
        rule = period_at(region, inp.start).deadlines[inp.kind]
        deadline, reminders = self._counted(f"deadline {inp.kind}", inp.start, rule)
        return DeadlinePlan(
            kind=inp.kind,
            start=inp.start,
            due_date=deadline.due_date,
            reminders=reminders,
            warnings=list(deadline.warnings),
            policy_version=region.version_at(inp.start),
            provisional=deadline.provisional,
            provisional_years=list(deadline.provisional_years),
        )

    @activity.defn
    def plan_task_due(self, inp: PlanTaskDueInput) -> TaskDuePlan:
        """Due date and reminder days of a task due after a period of the region's policy
        (periods.task_deadlines; working days through the holiday calendar, as deadlines)."""
        region = self._region(inp.region_code)
        rule = period_at(region, inp.start).task_deadlines[inp.kind]
        deadline, reminders = self._counted(f"task {inp.kind} due", inp.start, rule)
        return TaskDuePlan(
            kind=inp.kind,
            due_date=deadline.due_date,
            reminders=reminders,
            policy_version=region.version_at(inp.start),
            provisional=deadline.provisional,
        )

    @activity.defn
    def case_policy(self, inp: CasePolicyInput) -> CasePolicy:
        region = self._region(inp.region_code)
        period = period_at(region, inp.on)
        return CasePolicy(
            policy_version=region.version_at(inp.on),
            late_registration_window_days=period.late_registration_window_days,
            task_due_days=dict(period.task_due_days),
            task_reminder_days_before=period.task_reminder_days_before,
            min_contribution_months=period.min_contribution_months,
            check_in_reminder_days=period.check_in_reminder_days,
            proration=period.proration,
            rounding=period.rounding,
            stop_future_limit_days=period.stops.future_limit_days,
            funeral_grant_months=period.stops.funeral_grant_months,
            survivor_months_per_dependent=period.stops.survivor_months_per_dependent,
            survivor_months_three_or_more=period.stops.survivor_months_three_or_more,
            public_service_factor=period.stops.public_service_factor,
        )

    @activity.defn
    def assess_claim(self, inp: AssessInput) -> Proposal:
        """Eligibility pre-check (社会保险法 art. 45) and the proposed entitlement (art. 46)."""
        book = self.policy.current()
        region = self._region(inp.region_code, book)
        period = period_at(region, inp.on)
        retirement = None
        if inp.national_id is not None:
            retirement = book.national.retirement.retirement(
                birth_date_from_national_id(inp.national_id),
                sex_from_national_id(inp.national_id),
                period.women_retirement_group,
            )
        check = precheck(
            contribution_months=inp.contribution_months,
            reason_code=inp.reason_code,
            registered=inp.registered,
            seeking_work=inp.seeking_work,
            min_contribution_months=period.min_contribution_months,
            retirement=retirement,
            on=inp.on if retirement else None,
        )
        # 社会保险法 art. 46: the unused months of the person's earlier entitlements are
        # added (capped); read from the claimant history, never typed by the employer
        carry = Carry()
        if self.history is not None and inp.national_id is not None:
            carry = self.history.carry(inp.national_id)
        months = entitlement_months(
            inp.contribution_months or 0,
            period.duration,
            carried_months=carry.months,
            cap=period.max_entitlement_months,
        )
        return Proposal(
            eligible=check.eligible,
            checks=[
                PrecheckItem(code=c.code, passed=c.passed, detail=c.detail, source=c.source)
                for c in check.checks
            ],
            months=months,
            monthly_amount=monthly_amount(period.benefit, period.rounding),
            start_date=inp.on,
            end_date=entitlement_end(inp.on, months) if months else None,
            policy_version=region.version_at(inp.on),
            carried_months=carry.months,
            carried_from=list(carry.from_cases),
        )


class AmountActivities:
    """The monthly amount in force on a benefit month's first day (DOMAIN.md stage 4:
    a policy change applies to months that start on or after its effective date)."""

    def __init__(self, policy: PolicySource) -> None:
        self.policy = policy

    @activity.defn
    def month_amount(self, inp: MonthAmountInput) -> MonthAmount:
        region = region_of(self.policy.current(), inp.region_code)
        period = period_at(region, inp.on)
        return MonthAmount(
            amount=monthly_amount(period.benefit, period.rounding),
            policy_version=region.version_at(inp.on),
        )


class PayoutCalendarActivities:
    """The policy's payout day(s) of the month (a region's payment runs start on them)."""

    def __init__(self, policy: PolicySource) -> None:
        self.policy = policy

    @activity.defn
    def next_payout_day(self, inp: NextPayoutInput) -> date:
        """The first payout day strictly after `after`."""
        region = region_of(self.policy.current(), inp.region_code)
        day = inp.after + timedelta(days=1)
        for _ in range(62):
            if day.day in period_at(region, day).payout_days:
                return day
            day += timedelta(days=1)
        raise no_policy(f"{inp.region_code}: no payout day within two months")
