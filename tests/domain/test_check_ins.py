"""Monthly check-ins: which month a day falls in, which months count as missed, when misses
stop the benefits (seed 000 art. 33; 社会保险法 art. 50; seed 002 art. 9)."""

from datetime import date, timedelta

import pytest

from domain.check_ins import counts_as_missed, month_of, stopping_pair
from domain.entitlement import benefit_month_period


def test_the_registration_day_is_in_month_one() -> None:
    """社会保险法 art. 50: benefit time counts from the registration day."""
    assert month_of(date(2026, 11, 30), date(2026, 11, 30)) == 1
    assert month_of(date(2026, 11, 30), date(2026, 12, 29)) == 1
    assert month_of(date(2026, 11, 30), date(2026, 12, 30)) == 2


def test_month_end_clamping_follows_the_benefit_month_periods() -> None:
    """DOMAIN.md "Benefit months": a Jan 31 start gives Feb 28/29, Mar 31, Apr 30, ..."""
    start = date(2027, 1, 31)
    assert month_of(start, date(2027, 2, 27)) == 1
    assert month_of(start, date(2027, 2, 28)) == 2
    assert month_of(start, date(2027, 3, 30)) == 2
    assert month_of(start, date(2027, 3, 31)) == 3


@pytest.mark.parametrize("start", [date(2026, 1, 31), date(2027, 8, 29), date(2028, 2, 29)])
def test_every_day_of_two_years_falls_in_the_month_whose_period_holds_it(start: date) -> None:
    """DOMAIN.md "Benefit months": month i covers [S + (i-1) months, S + i months)."""
    for offset in range(0, 731):
        on = start + timedelta(days=offset)
        first, end = benefit_month_period(start, month_of(start, on))
        assert first <= on < end


def test_a_day_before_the_registration_is_in_no_month() -> None:
    with pytest.raises(ValueError, match="before the first benefit month"):
        month_of(date(2026, 11, 30), date(2026, 11, 29))


def test_a_month_ended_before_the_eligibility_decision_is_never_missed() -> None:
    """Seed 002 art. 9 (the agency decides; its delay is its own): a month whose last day
    came before the decision day is waived; one still running on that day can be missed."""
    start, end = benefit_month_period(date(2026, 11, 30), 1)  # 11-30 .. 12-29
    assert not counts_as_missed(end, decided_on=end)  # decided the day after the last day
    assert not counts_as_missed(end, decided_on=end + timedelta(days=20))
    assert counts_as_missed(end, decided_on=end - timedelta(days=1))  # on its last day
    assert counts_as_missed(end, decided_on=start + timedelta(days=13))  # review on day 14


def test_two_consecutive_unexcused_misses_stop_the_benefits() -> None:
    """Seed 000 art. 33: 无正当理由连续两次不报到者，停止其享受失业保险待遇."""
    assert stopping_pair(["checked_in", "unexcused", "unexcused", "open"]) == (2, 3)
    assert stopping_pair(["unexcused", "unexcused"]) == (1, 2)


@pytest.mark.parametrize(
    "statuses",
    [
        ["unexcused", "checked_in", "unexcused"],  # not consecutive
        ["unexcused", "excused", "unexcused"],  # a good reason breaks the run
        ["unexcused", "missed"],  # the second still awaits the clerk's decision
        ["waived", "unexcused"],  # ended before the eligibility decision: not a miss
        ["unexcused"],
        [],
    ],
)
def test_misses_that_are_not_two_consecutive_unexcused_do_not_stop(statuses: list[str]) -> None:
    """Seed 000 art. 33: only two consecutive misses, both without good reason."""
    assert stopping_pair(statuses) is None
