"""Benefit amounts in yuan (Decimal, 2 places; DOMAIN.md "Money", stage 4)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from domain.policy import BenefitRule, MedicalRule

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}
PRORATIONS = frozenset({"daily", "none"})


def round_money(x: Decimal, rule: str = "half_up") -> Decimal:
    """``x`` rounded to the fen (0.01) by the policy's rounding rule."""
    mode = _ROUNDING.get(rule)
    if mode is None:
        raise ValueError(f"unknown rounding rule {rule!r}; use one of {sorted(_ROUNDING)}")
    if not isinstance(x, Decimal) or not x.is_finite():
        raise ValueError(f"amount must be a finite Decimal, got {x!r}")
    return x.quantize(FEN, rounding=mode)


def monthly_amount(rule: BenefitRule, rounding: str) -> Decimal:
    """The monthly benefit a rule gives.

    ``fixed``: the amount set by the province (seed 002: 长春市本级 755 yuan/month
    from 2023-10-01, 574 before). ``percent_of_min_wage``: the minimum wage times
    the percentage (seed 000 art. 21: 70% of the local minimum wage), then
    raised to the subsistence minimum ``floor`` (低保) and held at or below the
    minimum wage (DOMAIN.md stage 4: not below 低保, not above minimum wage).
    """
    if rule.rule == "fixed":
        if rule.amount is None:
            raise ValueError("fixed benefit rule without amount")
        return round_money(rule.amount, rounding)
    if rule.percent is None or rule.min_wage is None:
        raise ValueError("percent_of_min_wage rule needs percent and min_wage")
    amount = rule.min_wage * rule.percent / 100
    if rule.floor is not None and amount < rule.floor:
        amount = rule.floor
    amount = min(amount, rule.min_wage)
    return round_money(amount, rounding)


def prorated_amount(
    monthly: Decimal,
    period_start: date,
    period_end_exclusive: date,
    stop_date: date,
    proration: str,
    rounding: str,
) -> Decimal:
    """What a benefit month pays when a stop takes effect on ``stop_date`` (D).

    DOMAIN.md "Benefit months": a month starting on or after D pays nothing; a
    month ending before D pays in full; the month containing D pays, under
    ``daily``, monthly x days before D / days in the month, under ``none``, 0.
    """
    if proration not in PRORATIONS:
        raise ValueError(f"unknown proration {proration!r}; use 'daily' or 'none'")
    days_in_period = (period_end_exclusive - period_start).days
    if days_in_period < 1:
        raise ValueError("period_end_exclusive must be after period_start")
    if stop_date <= period_start:
        return ZERO
    if stop_date >= period_end_exclusive:
        return round_money(monthly, rounding)
    if proration == "none":
        return ZERO
    days_before = (stop_date - period_start).days
    return round_money(monthly * days_before / days_in_period, rounding)


def medical_premium(medical: MedicalRule, rounding: str) -> Decimal:
    """Monthly medical + maternity premium the UI fund pays for a claimant.

    Seed 000 范文1 §2.1: base = 60% (policy) of last year's local monthly average
    wage; rate = the local medical + maternity rates together.
    """
    base = medical.avg_wage * medical.base_percent_of_avg_wage / 100
    return round_money(base * medical.rate_percent / 100, rounding)
