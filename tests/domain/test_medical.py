"""Medical insurance during benefit (DOMAIN.md stage 6; seed 000 范文1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.calendar import HolidayCalendar, default_calendar
from domain.medical import (
    cash_option_refusals,
    declaration_window,
    duplicate_refund,
    ended_by,
    month_key,
    month_of_key,
    monthly_premium,
    premium_months,
)
from policy import default_policy_book

CALENDAR = default_calendar()


def _rule(region: str = "220100", on: date = date(2026, 11, 1)):
    return default_policy_book().region(region).at(on).medical


def test_premium_is_60_percent_of_average_wage_times_medical_and_maternity_rate() -> None:
    """范文1 §2.1: 按照当地上年度职工平均工资的60%确定缴费基数; 缴费率为城镇职工基本医疗保险、
    生育保险缴费费率之和. 220100: 7000 x 60% x 8.5% = 357.00; 330100: 9800 x 60% x 10.5%."""
    assert monthly_premium(_rule("220100")) == Decimal("357.00")
    assert monthly_premium(_rule("330100")) == Decimal("617.40")


def test_premium_is_rounded_by_the_medical_tables_rule() -> None:
    """范文1 §2.1 with the policy's rounding: 6543.21 x 60% x 7.77% = 305.0444... yuan."""
    rule = _rule().model_copy(
        update={"avg_wage": Decimal("6543.21"), "rate_percent": Decimal("7.77")}
    )
    assert monthly_premium(rule) == Decimal("305.04")
    rule = _rule().model_copy(update={"avg_wage": Decimal("7000.05"), "rounding": "down"})
    assert monthly_premium(rule) == Decimal("357.00")  # 357.00255 down
    assert monthly_premium(rule.model_copy(update={"rounding": "half_up"})) == Decimal("357.00")
    rule = _rule().model_copy(update={"avg_wage": Decimal("7000.10"), "rounding": "down"})
    assert monthly_premium(rule) == Decimal("357.00")  # 357.0051 down, half_up 357.01
    assert monthly_premium(rule.model_copy(update={"rounding": "half_up"})) == Decimal("357.01")


def test_window_is_the_20th_to_25th_on_working_days() -> None:
    """范文1 §4.2: 每月的20—25日申报. November 2026: Fri 20th to Wed 25th, nothing rolls."""
    w = declaration_window(date(2026, 11, 1), 20, 25, CALENDAR)
    assert (w.opens, w.closes) == (date(2026, 11, 20), date(2026, 11, 25))
    assert w.opens_rolled_from is None and w.closes_rolled_from is None and not w.provisional


def test_window_ends_on_a_day_off_move_to_the_next_working_day() -> None:
    """范文1 §4.2 with 民法典 art. 203 (a last day that is a rest day moves to the next working
    day), as the deadlines count: September 2024 opens Fri 20th and its 25th is a Wednesday;
    October 2024: the 20th is a Sunday (opens Mon 21st), the 25th a Friday; April 2026: the
    25th is a Saturday (closes Mon 27th)."""
    w = declaration_window(date(2024, 10, 5), 20, 25, CALENDAR)
    assert (w.opens, w.opens_rolled_from, w.closes) == (
        date(2024, 10, 21),
        date(2024, 10, 20),
        date(2024, 10, 25),
    )
    w = declaration_window(date(2026, 4, 30), 20, 25, CALENDAR)
    assert (w.opens, w.closes, w.closes_rolled_from) == (
        date(2026, 4, 20),
        date(2026, 4, 27),
        date(2026, 4, 25),
    )


def test_window_rolls_over_a_holiday_block_and_an_adjusted_workday() -> None:
    """民法典 art. 203 with the holiday calendar: a policy window of the 1st-3rd of October
    2024 lies in the National Day holiday (Oct 1-7) and both ends move to Tue Oct 8."""
    w = declaration_window(date(2024, 10, 1), 1, 3, CALENDAR)
    assert (w.opens, w.closes) == (date(2024, 10, 8), date(2024, 10, 8))
    workday = HolidayCalendar({}, {date(2024, 10, 12): "adjusted"}, [2024])
    w = declaration_window(date(2024, 10, 1), 12, 13, workday)  # Sat 12th is a workday
    assert (w.opens, w.closes) == (date(2024, 10, 12), date(2024, 10, 14))


def test_window_in_a_year_the_calendar_does_not_know_is_provisional() -> None:
    """DOMAIN.md: a later year falls back to Saturday/Sunday with a visible warning. The
    25th of January 2031 is a Saturday: the window closes on Monday the 27th, provisionally."""
    w = declaration_window(date(2031, 1, 1), 20, 25, CALENDAR)
    assert w.provisional and "2031" in w.warnings[0]
    assert w.closes == date(2031, 1, 27)


def test_window_with_start_after_end_is_refused() -> None:
    with pytest.raises(ValueError):
        declaration_window(date(2026, 11, 1), 26, 25, CALENDAR)


def test_months_owed_under_the_full_rule_include_the_partial_first_and_last_months() -> None:
    """范文1 §3.1 (享受待遇期限与领取失业保险金期限相一致), §4.2 (monthly premium), policy
    partial_month = "full": active from 2026-11-20, benefits end 2027-02-10 (the first day
    without): November, December, January and February owe, March does not."""
    owed = premium_months(date(2026, 11, 20), date(2027, 2, 10), date(2027, 5, 1), "full")
    assert owed == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]


def test_months_owed_under_the_none_rule_are_whole_months_only() -> None:
    """partial_month = "none": the partial first and last months owe nothing."""
    owed = premium_months(date(2026, 11, 20), date(2027, 2, 10), date(2027, 5, 1), "none")
    assert owed == [date(2026, 12, 1), date(2027, 1, 1)]
    # a start on the 1st and a stop on the 1st cover whole months exactly
    owed = premium_months(date(2024, 2, 1), date(2024, 4, 1), date(2024, 12, 1), "none")
    assert owed == [date(2024, 2, 1), date(2024, 3, 1)]


def test_months_owed_stop_at_the_month_asked_for_while_benefits_last() -> None:
    """§4.2: each month declares its own premium: a running cover owes up to the month."""
    owed = premium_months(date(2024, 1, 31), None, date(2024, 3, 20), "full")
    assert owed == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert premium_months(date(2024, 5, 3), None, date(2024, 4, 20), "full") == []


def test_a_stop_on_the_start_day_or_the_first_of_a_month_owes_nothing_more() -> None:
    """Cover lasts exactly as long as the benefit (§3.1): no benefit day, no premium."""
    assert premium_months(date(2024, 6, 5), date(2024, 6, 5), date(2024, 9, 1), "full") == []
    owed = premium_months(date(2024, 6, 5), date(2024, 7, 1), date(2024, 9, 1), "full")
    assert owed == [date(2024, 6, 1)]
    with pytest.raises(ValueError):
        premium_months(date(2024, 6, 5), date(2024, 6, 4), date(2024, 9, 1), "full")
    with pytest.raises(ValueError):
        premium_months(date(2024, 6, 5), None, date(2024, 9, 1), "daily")


def test_a_stop_is_declared_in_the_month_benefits_end() -> None:
    """§4.2: 为停发失业保险金人员办理停保申请 in that month's window."""
    assert ended_by(date(2026, 11, 30), date(2026, 11, 1))
    assert not ended_by(date(2026, 12, 1), date(2026, 11, 1))
    assert not ended_by(None, date(2026, 11, 1))


def test_cash_option_needs_three_months_or_fewer_insurance_elsewhere_and_writing() -> None:
    """范文1 §4.6 (1): 领取失业保险金期限3个月以内, 已参加新型农村合作医疗、城镇居民医疗保险或
    灵活就业人员基本医疗保险, 经本人书面申请, 按月发给本人."""
    ok = {"insured_elsewhere": "flexible_employment", "written_request": True, "max_months": 3}
    assert cash_option_refusals(months_left=3, **ok) == []  # type: ignore[arg-type]
    assert cash_option_refusals(months_left=1, **ok) == []  # type: ignore[arg-type]
    assert "4 benefit months" in cash_option_refusals(months_left=4, **ok)[0]  # type: ignore[arg-type]
    assert cash_option_refusals(months_left=0, **ok)  # type: ignore[arg-type]
    refusals = cash_option_refusals(
        months_left=2, insured_elsewhere=None, written_request=False, max_months=3
    )
    assert len(refusals) == 2 and "in writing" in refusals[1]
    for scheme in ("rural_cooperative", "urban_resident"):
        assert not cash_option_refusals(
            months_left=2, insured_elsewhere=scheme, written_request=True, max_months=3
        )


def test_duplicate_refund_is_the_part_paid_twice_never_more_than_the_fund_paid() -> None:
    """范文1 §4.5: 重复缴费的, 经医疗保险经办机构核对后, 可将重复缴费部分退还失业保险基金."""
    assert duplicate_refund(Decimal("357.00"), Decimal("357.00")) == Decimal("357.00")
    assert duplicate_refund(Decimal("357.00"), Decimal("120.50")) == Decimal("120.50")
    assert duplicate_refund(Decimal("357.00"), Decimal("400.00")) == Decimal("357.00")
    with pytest.raises(ValueError):
        duplicate_refund(Decimal("357.00"), Decimal("0"))


def test_months_are_keyed_yyyymm_on_the_ledger() -> None:
    assert month_key(date(2026, 11, 1)) == 202611
    assert month_of_key(202602) == date(2026, 2, 1)
    with pytest.raises(ValueError):
        month_of_key(202613)
