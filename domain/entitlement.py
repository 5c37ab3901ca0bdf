"""How long benefits last and which days each benefit month covers.

DOMAIN.md stage 4 "Entitlement" and section "Benefit months"; 社会保险法 art. 46.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DurationBand:
    """Contribution time in [min, max) months gives ``benefit_months``.

    ``max_contribution_months`` is exclusive; ``None`` means no upper bound.
    """

    min_contribution_months: int
    max_contribution_months: int | None
    benefit_months: int

    def __post_init__(self) -> None:
        if self.min_contribution_months < 0 or self.benefit_months < 0:
            raise ValueError(f"negative figure in {self}")
        top = self.max_contribution_months
        if top is not None and top <= self.min_contribution_months:
            raise ValueError(f"empty band {self}")

    def contains(self, contribution_months: int) -> bool:
        top = self.max_contribution_months
        return self.min_contribution_months <= contribution_months and (
            top is None or contribution_months < top
        )


def entitlement_months(
    contribution_months: int,
    bands: Sequence[DurationBand],
    carried_months: int = 0,
    cap: int = 24,
) -> int:
    """Benefit months for a new separation, including months carried over.

    社会保险法 art. 46 and 失业保险条例 art. 17 (not in the seeds; DOMAIN.md
    stage 4 restates them): the duration follows the cumulative contribution
    time (the band); after re-employment the contribution time restarts, and
    the months of the earlier entitlement not yet drawn are added to the new
    ones, the total never above 24 (``cap``).

    Choice: contribution time below every band gives 0 new months, but the
    carried months are still granted (the re-employed person who loses the new
    job within a year keeps what was left of the earlier entitlement; art. 46
    adds the two periods without making the unused months depend on a new
    full year). Whether such a case passes the 1-year contribution check of
    art. 45 is decided separately by ``domain.eligibility.precheck``.
    The cap applies to the sum in every case.
    """
    if contribution_months < 0 or carried_months < 0 or cap < 0:
        raise ValueError("contribution_months, carried_months and cap must not be negative")
    new = next((b.benefit_months for b in bands if b.contains(contribution_months)), 0)
    return min(new + carried_months, cap)


def add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` calendar months, the day clamped to the month's end.

    2024-01-31 + 1 month = 2024-02-29; 2023-01-31 + 1 month = 2023-02-28.
    """
    index = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def benefit_month_period(start: date, i: int) -> tuple[date, date]:
    """Benefit month ``i`` (1-based) as [start + (i-1) months, start + i months).

    Both ends are computed from ``start`` (not chained), so a Jan 31 start gives
    months starting Feb 29/28, Mar 31, Apr 30, ... (DOMAIN.md "Benefit months").
    """
    if i < 1:
        raise ValueError(f"benefit months are numbered from 1, got {i}")
    return add_months(start, i - 1), add_months(start, i)


def entitlement_end(start: date, months: int) -> date:
    """The last day an entitlement of ``months`` months from ``start`` covers."""
    if months < 1:
        raise ValueError(f"an entitlement has at least 1 month, got {months}")
    return add_months(start, months) - timedelta(days=1)
