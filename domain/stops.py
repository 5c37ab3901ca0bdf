"""How a case ends on a stop event (DOMAIN.md "Benefit months", stages 7-11): what each month
pays, what was paid too much, the death grants and the self-employment lump sum. Pure
functions; the stage that applies them is workflows/claim/stops.py.

Sources: seed 000 art. 26 (停止发给: 服兵役, 出境定居, 重新就业, 无正当理由连续两次不接受介绍
就业, 劳动教养或被判刑收监执行, 享受养老保险待遇), art. 23 (丧葬补助金 7 months, 抚恤金 5
months per dependent, 15 for three or more, +80% for a death in public service, none for a
death in a crime), art. 35 (自谋职业: the remaining benefit paid once); 社会保险法 art. 51;
条例 art. 15."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.amounts import ZERO, prorated_amount, round_money

# seed 000 art. 26; 社会保险法 art. 51 (重新就业, 应征服兵役, 移居境外, 享受基本养老保险待遇,
# 被判刑收监执行, 无正当理由拒不接受介绍的适当工作或者提供的培训); art. 23 (死亡); art. 35
STOP_TYPES: tuple[str, ...] = (
    "reemployed",
    "military_service",
    "emigrated",
    "pension_started",
    "imprisoned",
    "refused_offer",
    "self_employed",
    "died",
)
STOP_LABELS_ZH: dict[str, str] = {
    "reemployed": "重新就业",
    "military_service": "应征服兵役",
    "emigrated": "移居境外",
    "pension_started": "享受基本养老保险待遇",
    "imprisoned": "被判刑收监执行",
    "refused_offer": "无正当理由连续两次拒不接受介绍的适当工作或者提供的培训",
    "self_employed": "自谋职业（一次性领取失业保险金余额）",
    "died": "死亡",
    "missed_check_ins": "连续两次无正当理由未按时报到",
}
STOP_LABELS_EN: dict[str, str] = {
    "reemployed": "re-employment",
    "military_service": "military service",
    "emigrated": "settling abroad",
    "pension_started": "drawing the basic old-age pension",
    "imprisoned": "imprisonment",
    "refused_offer": "refusing a suitable job or training offer twice without good reason",
    "self_employed": "self-employment (the balance paid at once)",
    "died": "death",
    "missed_check_ins": "two check-ins missed in a row without good reason",
}
REFUSALS_TO_STOP = 2  # seed 000 art. 26(4): 连续两次; 条例 art. 15


@dataclass(frozen=True)
class StopTerms:
    """A region's policy for stops (policy/*.toml [periods.stops]; defaults: seed 000)."""

    future_limit_days: int = 30
    funeral_grant_months: int = 7
    survivor_months_per_dependent: int = 5
    survivor_months_three_or_more: int = 15
    public_service_factor: Decimal = Decimal("1.8")


@dataclass(frozen=True)
class PaidMonth:
    """A benefit month as the ledger and the case know it when the stop is settled: its
    period [start, end), the amount owed for it and whether that money has gone out already
    (sent to the bank, in a run or settled: it can no longer be changed, only recovered)."""

    month: int
    start: date
    end: date
    amount: Decimal
    gone_out: bool


@dataclass(frozen=True)
class MonthSettlement:
    month: int
    due: Decimal  # what the month pays under the stop
    owed: Decimal  # what the ledger had for it
    action: str  # keep | prorate | cancel | overpaid


@dataclass(frozen=True)
class Settlement:
    last_paid_day: date | None
    months: tuple[MonthSettlement, ...]
    overpayment: Decimal

    def as_data(self) -> dict[str, object]:
        return {
            "last_paid_day": self.last_paid_day.isoformat() if self.last_paid_day else None,
            "overpayment": f"{self.overpayment:.2f}",
            "months": [
                {
                    "month": m.month,
                    "due": f"{m.due:.2f}",
                    "owed": f"{m.owed:.2f}",
                    "action": m.action,
                }
                for m in self.months
            ],
        }


def date_problem(effective: date, case_start: date, today: date, terms: StopTerms) -> str | None:
    """Why an effective date is refused, or None: not before the entitlement's first day, not
    more than the policy's limit ahead of today (a late report is normal: any past day is)."""
    if effective < case_start:
        return f"{effective} is before the case's start ({case_start})"
    limit = today + timedelta(days=terms.future_limit_days)
    if effective > limit:
        return f"{effective} is more than {terms.future_limit_days} days ahead (after {limit})"
    return None


def last_paid_day(first_day: date, effective: date) -> date | None:
    """The stop takes effect on D: the last day paid is the day before (None: nothing)."""
    return effective - timedelta(days=1) if effective > first_day else None


def settle(
    months: list[PaidMonth],
    effective: date,
    proration: str,
    rounding: str,
) -> Settlement:
    """DOMAIN.md "Benefit months": months before D keep what they pay; the month containing D
    pays pro rata (prorated_amount); later months pay nothing. A month whose money has not
    gone out is changed (prorated or cancelled); one already paid beyond D is overpaid by the
    difference (社会保险法 art. 51: no benefit from the stop on; the excess is recovered)."""
    out: list[MonthSettlement] = []
    overpaid = ZERO
    for m in months:
        due = prorated_amount(m.amount, m.start, m.end, effective, proration, rounding)
        if due == m.amount:
            action = "keep"
        elif m.gone_out:
            action = "overpaid"
            overpaid += m.amount - due
        else:
            action = "prorate" if due > ZERO else "cancel"
        out.append(MonthSettlement(month=m.month, due=due, owed=m.amount, action=action))
    first = min((m.start for m in months), default=effective)
    return Settlement(
        last_paid_day=last_paid_day(first, effective),
        months=tuple(out),
        overpayment=round_money(overpaid, rounding),
    )


def survivor_months(dependents: int, terms: StopTerms) -> int:
    """Seed 000 art. 23: 5 months' benefit per dependent, 15 for three or more."""
    if dependents < 0:
        raise ValueError("dependents must be 0 or more")
    if dependents >= 3:
        return terms.survivor_months_three_or_more
    return terms.survivor_months_per_dependent * dependents


@dataclass(frozen=True)
class DeathGrants:
    funeral_grant: Decimal
    survivor_pension: Decimal


def death_grants(
    monthly: Decimal,
    dependents: int,
    public_service: bool,
    unlawful: bool,
    terms: StopTerms,
    rounding: str,
) -> DeathGrants:
    """Seed 000 art. 23: funeral grant 7 × the monthly benefit, survivor pension by the
    dependents (survivor_months), both raised by 80% (× 1.8) for a death in public service;
    none for a death in the course of a crime (art. 23 ¶2)."""
    if unlawful:
        return DeathGrants(ZERO, ZERO)
    factor = terms.public_service_factor if public_service else Decimal(1)
    funeral = monthly * terms.funeral_grant_months * factor
    survivor = monthly * survivor_months(dependents, terms) * factor
    return DeathGrants(round_money(funeral, rounding), round_money(survivor, rounding))


def remaining_months(months: list[tuple[int, date]], effective: date) -> list[int]:
    """Seed 000 art. 35: the months not yet begun on D (those starting on or after it) are
    the balance a self-employed claimant takes at once."""
    return [m for m, start in months if start >= effective]


def lump_sum(monthly: Decimal, remaining: int, rounding: str) -> Decimal:
    """Seed 000 art. 35: the remaining months × the current monthly amount, paid once."""
    return round_money(monthly * remaining, rounding)
