"""Monthly check-ins (报到), DOMAIN.md stage 5 and "Benefit months".

- Benefit time counts from the registration day (社会保险法 art. 50): month i covers
  [S + (i-1) months, S + i months) from the registration day S (domain/entitlement.py).
- The claimant reports once a month (seed 000 art. 33); the registration itself is the
  claimant reporting to the agency, so it stands for month 1's check-in.
- The agency decides within 15 days of the application (seed 002 art. 9) and may take longer;
  a month that ended before that decision could not be judged on time by the claimant's
  conduct alone, so it never counts as missed (the office's own delay punishes nobody).
- Two consecutive missed check-ins without good reason stop the benefits (seed 000 art. 33);
  each month is judged on its own, in any order the decisions come.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.entitlement import benefit_month_period

# a month's standing once it has ended: checked in, missed (awaiting the clerk's decision),
# excused (good reason), unexcused, or waived (ended before the eligibility decision)
UNEXCUSED = "unexcused"


def month_of(start: date, on: date) -> int:
    """The (1-based) benefit month of an entitlement starting on `start` that `on` falls in."""
    if on < start:
        raise ValueError(f"{on} is before the first benefit month ({start})")
    month = (on.year - start.year) * 12 + on.month - start.month + 1
    while month > 1 and benefit_month_period(start, month)[0] > on:
        month -= 1
    while benefit_month_period(start, month)[1] <= on:
        month += 1
    return month


def counts_as_missed(month_end: date, decided_on: date) -> bool:
    """Whether a month without a check-in counts as missed, given the day eligibility was
    decided: only a month still running on that day (its exclusive end after it) does. A
    month that ended before the decision is waived: it is paid, never counted missed."""
    return month_end > decided_on


def stopping_pair(statuses: Sequence[str]) -> tuple[int, int] | None:
    """Seed 000 art. 33: the first two consecutive months (1-based) both judged missed
    without good reason, which stop the benefits; None while there is no such pair.
    `statuses` are the months' standings in month order."""
    for i in range(1, len(statuses)):
        if statuses[i - 1] == UNEXCUSED and statuses[i] == UNEXCUSED:
            return i, i + 1
    return None
