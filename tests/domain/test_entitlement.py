"""Entitlement duration and benefit months (社会保险法 art. 46; DOMAIN.md stage 4)."""

from datetime import date

import pytest

from domain.entitlement import (
    DurationBand,
    add_months,
    benefit_month_period,
    entitlement_end,
    entitlement_months,
)

BANDS = (
    DurationBand(12, 60, 12),
    DurationBand(60, 120, 18),
    DurationBand(120, None, 24),
)


@pytest.mark.parametrize(
    ("months", "expected"),
    [(0, 0), (11, 0), (12, 12), (59, 12), (60, 18), (119, 18), (120, 24), (400, 24)],
)
def test_duration_bands_by_contribution_time(months: int, expected: int) -> None:
    """社会保险法 art. 46; seed 002 长春: 1-<5 years 12, 5-<10 years 18, 10+ years 24."""
    assert entitlement_months(months, BANDS) == expected


def test_carried_months_are_added_to_the_new_entitlement() -> None:
    """社会保险法 art. 46; DOMAIN.md stage 4: unused months of the earlier case are added."""
    assert entitlement_months(24, BANDS, carried_months=5) == 17
    assert entitlement_months(60, BANDS, carried_months=6) == 24


def test_total_is_capped_at_24_months() -> None:
    """社会保险法 art. 46; DOMAIN.md stage 4: combined period at most 24 months."""
    assert entitlement_months(60, BANDS, carried_months=10) == 24
    assert entitlement_months(130, BANDS, carried_months=12) == 24
    assert entitlement_months(12, BANDS, carried_months=30) == 24
    assert entitlement_months(60, BANDS, carried_months=10, cap=20) == 20


def test_carried_months_alone_when_new_contribution_is_below_a_year() -> None:
    """社会保险法 art. 46, 条例 art. 17; DOMAIN.md stage 4: 0 new months + carried months."""
    assert entitlement_months(7, BANDS, carried_months=4) == 4
    assert entitlement_months(0, BANDS, carried_months=0) == 0


def test_negative_inputs_are_rejected() -> None:
    """社会保险法 art. 46: contribution time and months are non-negative counts."""
    for kwargs in ({"carried_months": -1}, {"cap": -1}):
        with pytest.raises(ValueError):
            entitlement_months(12, BANDS, **kwargs)
    with pytest.raises(ValueError):
        entitlement_months(-1, BANDS)
    with pytest.raises(ValueError):
        DurationBand(60, 60, 18)


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    """DOMAIN.md Benefit months: Jan 31 + 1 month = Feb 28/29."""
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)  # leap year
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 5, 10), 0) == date(2024, 5, 10)


def test_benefit_months_from_jan_31_are_computed_from_the_start() -> None:
    """DOMAIN.md Benefit months: month i covers [S+(i-1) months, S+i months), clamped."""
    start = date(2024, 1, 31)
    assert benefit_month_period(start, 1) == (date(2024, 1, 31), date(2024, 2, 29))
    assert benefit_month_period(start, 2) == (date(2024, 2, 29), date(2024, 3, 31))
    assert benefit_month_period(start, 3) == (date(2024, 3, 31), date(2024, 4, 30))
    assert benefit_month_period(date(2023, 1, 31), 1) == (date(2023, 1, 31), date(2023, 2, 28))


def test_benefit_months_are_contiguous_over_24_months() -> None:
    """DOMAIN.md Benefit months: each month starts where the previous one ends."""
    start = date(2023, 8, 31)
    periods = [benefit_month_period(start, i) for i in range(1, 25)]
    for (_, end), (next_start, _) in zip(periods, periods[1:], strict=False):
        assert end == next_start
    assert periods[-1][1] == date(2025, 8, 31)
    with pytest.raises(ValueError):
        benefit_month_period(start, 0)


def test_entitlement_end_is_the_last_covered_day() -> None:
    """DOMAIN.md Benefit months: an entitlement of n months ends the day before S + n months."""
    assert entitlement_end(date(2024, 3, 15), 12) == date(2025, 3, 14)
    assert entitlement_end(date(2024, 1, 31), 1) == date(2024, 2, 28)
    assert entitlement_end(date(2023, 10, 1), 18) == date(2025, 3, 31)
    with pytest.raises(ValueError):
        entitlement_end(date(2024, 1, 1), 0)
