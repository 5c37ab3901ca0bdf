"""Medical and maternity insurance while benefits are paid (DOMAIN.md stage 6; seed 000 范文1).

Pure rules: the monthly premium the UI fund pays, the monthly declaration window, the months a
coverage owes a premium for, the ≤ 3-month cash option and the duplicate-premium refund. The
figures come from a region's policy table (`[periods.medical]`), never from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.amounts import medical_premium
from domain.calendar import HolidayCalendar
from domain.deadlines import consulted_years, unknown_year_warning
from domain.entitlement import add_months
from domain.policy import MedicalRule

PARTIAL_MONTH_RULES = frozenset({"full", "none"})
# 范文1 §4.6 (1): the insurance the claimant already has (新型农村合作医疗、城镇居民医疗保险
# 或灵活就业人员基本医疗保险).
INSURED_ELSEWHERE: dict[str, str] = {
    "rural_cooperative": "新型农村合作医疗",
    "urban_resident": "城镇居民医疗保险",
    "flexible_employment": "灵活就业人员基本医疗保险",
}


def month_start(d: date) -> date:
    """The first day of ``d``'s calendar month."""
    return d.replace(day=1)


def month_key(month: date) -> int:
    """A calendar month as the number YYYYMM (the ledger's month of a premium: 202611)."""
    return month.year * 100 + month.month


def month_of_key(key: int) -> date:
    """The first day of the month a YYYYMM number names."""
    year, month = divmod(key, 100)
    if not 1 <= month <= 12 or year < 1900:
        raise ValueError(f"{key} is not a month written as YYYYMM")
    return date(year, month, 1)


def monthly_premium(rule: MedicalRule) -> Decimal:
    """The month's medical + maternity premium for one claimant, paid by the UI fund.

    范文1 §2.1: base = 60% (policy) of last year's local average wage; rate = the local
    medical + maternity rates together (unit and personal parts); §2.2: all of it from the
    UI fund. Rounded to the fen by the medical table's own rule."""
    return medical_premium(rule, rule.rounding)


@dataclass(frozen=True)
class DeclarationWindow:
    """The days of one month on which its declaration is made (范文1 §4.2)."""

    month: date  # the first day of the month declared
    opens: date
    closes: date
    opens_rolled_from: date | None  # the policy's first day, when it fell on a day off
    closes_rolled_from: date | None
    warnings: tuple[str, ...] = ()

    @property
    def provisional(self) -> bool:
        """Computed for a year whose holiday schedule is not loaded (weekends only)."""
        return bool(self.warnings)


def declaration_window(
    month: date, start_day: int, end_day: int, calendar: HolidayCalendar
) -> DeclarationWindow:
    """The declaration window of ``month``: days ``start_day``-``end_day`` (范文1 §4.2:
    每月的20—25日), each end moved to the next working day when it is a statutory holiday or
    rest day (民法典 art. 203, as the deadlines do), with the calendar's warnings for a year
    it does not know."""
    if not 1 <= start_day <= end_day <= 28:
        raise ValueError(f"a window needs 1 <= start <= end <= 28, got {start_day}-{end_day}")
    first = month_start(month).replace(day=start_day)
    last = first.replace(day=end_day)
    opens, closes = calendar.next_working_day(first), calendar.next_working_day(last)
    return DeclarationWindow(
        month=month_start(month),
        opens=opens,
        closes=closes,
        opens_rolled_from=first if opens != first else None,
        closes_rolled_from=last if closes != last else None,
        warnings=tuple(
            unknown_year_warning(y)
            for y in sorted({first.year, *consulted_years(first, closes)})
            if not calendar.knows(y)
        ),
    )


def premium_months(start: date, stop: date | None, through: date, partial_month: str) -> list[date]:
    """The calendar months (their first days), up to ``through``'s month, that a coverage
    owes a premium for.

    Cover lasts exactly as long as the benefit (范文1 §3.1: 享受待遇期限与领取失业保险金期限
    相一致): from ``start`` (the day the case became active) to ``stop`` (the first day
    without benefit; None while benefits last). The premium is monthly (§4.2: declared and
    paid each month). A month the coverage spans only in part owes a full premium under the
    policy's ``partial_month = "full"``, and none under ``"none"``; a month it does not reach
    owes nothing (a stop on the 1st ends cover before that month)."""
    if partial_month not in PARTIAL_MONTH_RULES:
        raise ValueError(f"unknown partial_month rule {partial_month!r}; use 'full' or 'none'")
    if stop is not None and stop < start:
        raise ValueError(f"stop {stop} is before start {start}")
    months: list[date] = []
    month, last = month_start(start), month_start(through)
    while month <= last:
        following = add_months(month, 1)
        first_day = max(month, start)
        end = following if stop is None else min(following, stop)
        if end <= first_day:
            break  # the coverage has ended before this month
        whole = first_day == month and end == following
        if whole or partial_month == "full":
            months.append(month)
        month = following
    return months


def ended_by(stop: date | None, month: date) -> bool:
    """Benefits (and so cover) have ended by the end of ``month``: the stop (停保) is
    declared in that month's window (范文1 §4.2: 为停发失业保险金人员办理停保申请)."""
    return stop is not None and stop < add_months(month_start(month), 1)


def cash_option_refusals(
    *, months_left: int, insured_elsewhere: str | None, written_request: bool, max_months: int
) -> list[str]:
    """Why the premium may not be paid to the claimant in cash (empty: it may).

    范文1 §4.6 (1): a claimant whose benefit period is 3 months (policy) or less, who is
    already insured under the rural co-operative scheme, urban residents' insurance or
    flexible-employment insurance, may ask in writing to receive the premium the fund would
    pay for them monthly, with the benefit. Issue 12 reads the period as the months left
    when the request is made."""
    refusals: list[str] = []
    if months_left < 1:
        refusals.append("no benefit months are left")
    elif months_left > max_months:
        refusals.append(f"{months_left} benefit months are left; the option is for {max_months}")
    if insured_elsewhere not in INSURED_ELSEWHERE:
        kinds = ", ".join(sorted(INSURED_ELSEWHERE))
        refusals.append(f"the claimant must already be insured elsewhere ({kinds})")
    if not written_request:
        refusals.append("the claimant must ask in writing (本人书面申请)")
    return refusals


def duplicate_refund(premium_paid: Decimal, reported_duplicate: Decimal) -> Decimal:
    """What comes back to the UI fund for a month the agency found paid twice.

    范文1 §4.5: after the medical-insurance agency has checked it (经医疗保险经办机构核对),
    the part paid twice (the employer or the claimant also paid) is refunded to the UI fund:
    the amount the agency reports, never more than the fund paid for that month."""
    if reported_duplicate <= 0:
        raise ValueError(f"a duplicate premium must be above 0, got {reported_duplicate}")
    if premium_paid <= 0:
        raise ValueError(f"the fund paid no premium to refund ({premium_paid})")
    return min(premium_paid, reported_duplicate)
