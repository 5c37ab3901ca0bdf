"""Transfers of a case between pooling regions (DOMAIN.md stage 9; seed 000 范文1 §4.4; seed
002 Changchun text on 关系转移). Pure rules: which kind of transfer, the months that move, and
the money that moves with them. The amounts come from the regions' policy tables.

- Within the province (the first two digits of the region codes agree, e.g. 220100 →
  220200): the case continues in the destination with the same remaining months; the medical
  relationship moves with the claimant; the paying UI agency keeps paying (范文1 §4.4 (1)).
- Across provinces (220100 → 330100): the source computes the remaining months and the
  premium still owed at its own rates and moves the funds once; the destination continues
  the case at its own amount and tops up a premium shortfall from its fund (范文1 §4.4 (2))."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

TransferKind = Literal["in_province", "cross_province"]
CENT = Decimal("0.01")


class TransferRefused(ValueError):
    """The transfer cannot be made; ``field`` names what is wrong."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def province_of(region_code: str) -> str:
    """GB/T 2260: a region code's first two digits are its province."""
    return region_code[:2]


def transfer_kind(from_region: str, to_region: str) -> TransferKind:
    """Which transfer a move from ``from_region`` to ``to_region`` is (same region: refused)."""
    if from_region == to_region:
        raise TransferRefused(
            f"the case is in {from_region} already: a transfer goes to another region",
            "to_region_code",
        )
    if province_of(from_region) == province_of(to_region):
        return "in_province"
    return "cross_province"


@dataclass(frozen=True)
class TransferFunds:
    """What the source fund moves to the destination fund, once (范文1 §4.4 (2))."""

    months: int
    benefit: Decimal  # the remaining months at the source's monthly amount
    premium: Decimal  # the medical premium still owed for them at the source's rate

    @property
    def total(self) -> Decimal:
        return (self.benefit + self.premium).quantize(CENT)


def transfer_funds(months: int, monthly_amount: Decimal, monthly_premium: Decimal) -> TransferFunds:
    """The remaining months' benefit and premium at the source's rates."""
    if months < 0:
        raise ValueError("months left cannot be negative")
    return TransferFunds(
        months=months,
        benefit=(monthly_amount * months).quantize(CENT),
        premium=(monthly_premium * months).quantize(CENT),
    )


def premium_shortfall(
    months: int, destination_premium: Decimal, transferred_premium: Decimal
) -> Decimal:
    """范文1 §4.4 (2): what the destination fund adds when its own premium for the remaining
    months exceeds what the source transferred (never negative: a surplus stays with it)."""
    owed = (destination_premium * months).quantize(CENT)
    return max(owed - transferred_premium, Decimal("0.00")).quantize(CENT)
