"""domain/transfers.py: DOMAIN.md stage 9, seed 000 范文1 §4.4 (transfers within and across
provinces), seed 002 Changchun text on 关系转移."""

from decimal import Decimal

import pytest

from domain.transfers import TransferRefused, premium_shortfall, transfer_funds, transfer_kind


def test_the_province_is_the_first_two_digits_of_the_region_code() -> None:
    """范文1 §4.4 (1) within the province (220100 → 220200), (2) across (220100 → 330100)."""
    assert transfer_kind("220100", "220200") == "in_province"
    assert transfer_kind("220100", "330100") == "cross_province"


def test_a_transfer_to_the_same_region_is_refused_naming_the_field() -> None:
    with pytest.raises(TransferRefused) as err:
        transfer_kind("220100", "220100")
    assert err.value.field == "to_region_code"


def test_the_source_moves_the_remaining_months_and_their_premium_at_its_rates() -> None:
    """范文1 §4.4 (2): the premium still owed is transferred once with the entitlement."""
    funds = transfer_funds(10, Decimal("755.00"), Decimal("321.45"))
    assert (funds.benefit, funds.premium, funds.total) == (
        Decimal("7550.00"),
        Decimal("3214.50"),
        Decimal("10764.50"),
    )
    assert transfer_funds(0, Decimal("755.00"), Decimal("1.00")).total == Decimal("0.00")
    with pytest.raises(ValueError):
        transfer_funds(-1, Decimal("1"), Decimal("1"))


def test_the_destination_tops_up_a_shortfall_and_keeps_a_surplus() -> None:
    """范文1 §4.4 (2): 不足部分由转入地失业保险基金补足."""
    assert premium_shortfall(10, Decimal("617.40"), Decimal("3214.50")) == Decimal("2959.50")
    assert premium_shortfall(10, Decimal("300.00"), Decimal("3214.50")) == Decimal("0.00")
