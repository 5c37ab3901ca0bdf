"""domain/stops.py: what a stop event does to the months, the death grants, the lump sum."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.stops import (
    PaidMonth,
    StopTerms,
    date_problem,
    death_grants,
    lump_sum,
    remaining_months,
    settle,
    survivor_months,
)

M = Decimal("755.00")
TERMS = StopTerms()


def _months(gone_out: int) -> list[PaidMonth]:
    """Months 1-4 from 2024-03-15; the first `gone_out` already paid."""
    bounds = [date(2024, 3, 15), date(2024, 4, 15), date(2024, 5, 15), date(2024, 6, 15)]
    bounds.append(date(2024, 7, 15))
    return [
        PaidMonth(month=i + 1, start=bounds[i], end=bounds[i + 1], amount=M, gone_out=i < gone_out)
        for i in range(4)
    ]


def test_month_of_the_stop_prorated_later_months_cancelled_nothing_overpaid() -> None:
    """DOMAIN.md Benefit months; 社会保险法 art. 51: no benefit from the stop on. Month 2
    (2024-04-15 to 05-14, 30 days) stopped on 04-25: 10 days -> 755 × 10 / 30 = 251.67."""
    got = settle(_months(1), date(2024, 4, 25), "daily", "half_up")
    assert [m.action for m in got.months] == ["keep", "prorate", "cancel", "cancel"]
    assert got.months[1].due == Decimal("251.67")
    assert got.overpayment == Decimal("0.00")
    assert got.last_paid_day == date(2024, 4, 24)


def test_a_late_stop_after_payments_went_out_is_an_overpayment() -> None:
    """A stop reported late is normal: months paid beyond the day are overpaid (to repay)."""
    got = settle(_months(3), date(2024, 4, 25), "daily", "half_up")
    assert [m.action for m in got.months] == ["keep", "overpaid", "overpaid", "cancel"]
    assert got.overpayment == (M - Decimal("251.67")) + M == Decimal("1258.33")
    none = settle(_months(3), date(2024, 4, 25), "none", "half_up")
    assert none.overpayment == M * 2


def test_a_stop_on_the_first_day_pays_nothing() -> None:
    got = settle(_months(0), date(2024, 3, 15), "daily", "half_up")
    assert got.last_paid_day is None
    assert {m.action for m in got.months} == {"cancel"}


def test_effective_date_not_before_the_start_nor_beyond_the_policy_limit() -> None:
    start, today = date(2024, 3, 15), date(2024, 5, 1)
    assert date_problem(date(2024, 3, 14), start, today, TERMS)
    assert date_problem(date(2024, 3, 15), start, today, TERMS) is None
    assert date_problem(date(2024, 5, 31), start, today, TERMS) is None
    assert date_problem(date(2024, 6, 1), start, today, TERMS)


@pytest.mark.parametrize(("dependents", "months"), [(0, 0), (1, 5), (2, 10), (3, 15), (6, 15)])
def test_survivor_pension_months_by_dependents(dependents: int, months: int) -> None:
    """Seed 000 art. 23: 5 months per dependent, 15 for three or more."""
    assert survivor_months(dependents, TERMS) == months


def test_death_grants_seven_months_and_public_service_raises_by_80_percent() -> None:
    """Seed 000 art. 23: 丧葬补助金 7 months; 抚恤金; ¶3 +80% in public service; ¶2 none
    for a death in a crime."""
    g = death_grants(M, 2, False, False, TERMS, "half_up")
    assert (g.funeral_grant, g.survivor_pension) == (Decimal("5285.00"), Decimal("7550.00"))
    p = death_grants(M, 3, True, False, TERMS, "half_up")
    assert (p.funeral_grant, p.survivor_pension) == (Decimal("9513.00"), Decimal("20385.00"))
    n = death_grants(M, 3, True, True, TERMS, "half_up")
    assert (n.funeral_grant, n.survivor_pension) == (Decimal("0.00"), Decimal("0.00"))
    with pytest.raises(ValueError):
        survivor_months(-1, TERMS)


def test_lump_sum_is_the_months_not_begun_times_the_amount() -> None:
    """Seed 000 art. 35: 失业救济金余额一次性付给."""
    months = [(m.month, m.start) for m in _months(0)]
    assert remaining_months(months, date(2024, 4, 25)) == [3, 4]
    assert remaining_months(months, date(2024, 5, 15)) == [3, 4]
    assert remaining_months(months, date(2024, 6, 16)) == []
    assert lump_sum(M, 2, "half_up") == Decimal("1510.00")
