"""Benefit amounts (DOMAIN.md stage 4 and "Money"; seed 000 art. 21; seed 002)."""

from datetime import date
from decimal import Decimal

import pytest

from domain.amounts import medical_premium, monthly_amount, prorated_amount, round_money
from domain.policy import BenefitRule
from policy import default_policy_book


def test_round_money_rules() -> None:
    """DOMAIN.md Money: yuan with 2 decimals, rounding rule is policy (default half-up)."""
    assert round_money(Decimal("10.005")) == Decimal("10.01")
    assert round_money(Decimal("10.005"), "half_even") == Decimal("10.00")
    assert round_money(Decimal("10.015"), "half_even") == Decimal("10.02")
    assert round_money(Decimal("10.019"), "down") == Decimal("10.01")
    assert str(round_money(Decimal("755"))) == "755.00"
    with pytest.raises(ValueError):
        round_money(Decimal("1"), "ceiling")
    with pytest.raises(ValueError):
        round_money(Decimal("NaN"))


def test_fixed_changchun_amount_755() -> None:
    """Seed 002: 长春市本级 755 yuan/month from 2023-10-01 (fixed rule)."""
    rule = BenefitRule(rule="fixed", amount=Decimal("755.00"))
    assert monthly_amount(rule, "half_up") == Decimal("755.00")


def test_percent_of_min_wage_70_percent() -> None:
    """Seed 000 art. 21: 70% of the local minimum wage."""
    rule = BenefitRule(rule="percent_of_min_wage", percent=Decimal(70), min_wage=Decimal("2010.05"))
    assert monthly_amount(rule, "half_up") == Decimal("1407.04")  # 1407.035
    assert monthly_amount(rule, "down") == Decimal("1407.03")


def test_percent_rule_never_below_the_subsistence_floor() -> None:
    """DOMAIN.md stage 4: not below the local subsistence minimum (低保)."""
    rule = BenefitRule(
        rule="percent_of_min_wage",
        percent=Decimal(50),
        min_wage=Decimal("2000.00"),
        floor=Decimal("1100.00"),
    )
    assert monthly_amount(rule, "half_up") == Decimal("1100.00")


def test_percent_rule_never_above_the_minimum_wage() -> None:
    """DOMAIN.md stage 4: not above the minimum wage (100% is the ceiling)."""
    rule = BenefitRule(
        rule="percent_of_min_wage", percent=Decimal(100), min_wage=Decimal("2490.00")
    )
    assert monthly_amount(rule, "half_up") == Decimal("2490.00")
    rule90 = BenefitRule(rule="percent_of_min_wage", percent=Decimal(90), min_wage=Decimal("2490"))
    assert monthly_amount(rule90, "half_up") == Decimal("2241.00")


def test_full_month_before_the_stop_and_nothing_after() -> None:
    """DOMAIN.md Benefit months: months starting on or after D are not paid."""
    m = Decimal("755.00")
    start, end = date(2024, 3, 15), date(2024, 4, 15)
    assert prorated_amount(m, start, end, date(2024, 4, 15), "daily", "half_up") == m
    assert prorated_amount(m, start, end, date(2024, 6, 1), "daily", "half_up") == m
    assert prorated_amount(m, start, end, date(2024, 3, 15), "daily", "half_up") == Decimal("0.00")
    assert prorated_amount(m, start, end, date(2024, 3, 1), "daily", "half_up") == Decimal("0.00")


def test_month_containing_the_stop_is_paid_by_days_before_it() -> None:
    """DOMAIN.md Benefit months: daily proration by days before D (default policy)."""
    m = Decimal("755.00")
    start, end = date(2024, 3, 15), date(2024, 4, 15)  # 31 days
    # stop on 2024-03-25: 10 days before D -> 755 * 10 / 31 = 243.548...
    got = prorated_amount(m, start, end, date(2024, 3, 25), "daily", "half_up")
    assert got == Decimal("243.55")
    assert prorated_amount(m, start, end, date(2024, 3, 25), "daily", "down") == Decimal("243.54")
    assert prorated_amount(m, start, end, date(2024, 3, 16), "daily", "half_up") == Decimal("24.35")


def test_proration_none_pays_nothing_for_the_month_of_the_stop() -> None:
    """DOMAIN.md Benefit months: `none` pays nothing for the month containing D."""
    m = Decimal("755.00")
    got = prorated_amount(
        m, date(2024, 3, 15), date(2024, 4, 15), date(2024, 4, 1), "none", "half_up"
    )
    assert got == Decimal("0.00")
    with pytest.raises(ValueError):
        prorated_amount(
            m, date(2024, 3, 15), date(2024, 4, 15), date(2024, 4, 1), "weekly", "half_up"
        )
    with pytest.raises(ValueError):
        prorated_amount(
            m, date(2024, 3, 15), date(2024, 3, 15), date(2024, 4, 1), "daily", "half_up"
        )


def test_medical_premium_on_60_percent_of_average_wage() -> None:
    """Seed 000 范文1 §2.1: base 60% of last year's average wage x medical+maternity rate."""
    changchun = default_policy_book().region("220100").at(date(2024, 1, 1)).medical
    medical = changchun.model_copy(
        update={
            "base_percent_of_avg_wage": Decimal(60),
            "avg_wage": Decimal("7000.00"),
            "rate_percent": Decimal("8.5"),
        }
    )
    assert medical_premium(medical, "half_up") == Decimal("357.00")  # 4200 x 8.5%
