"""Transfers between pooling regions (DOMAIN.md stage 9; workflows/claim/transfer.py): the
transfer activities' inputs and answers (activities/transfers.py)."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass
class TransferPlanInput:
    from_region_code: str
    to_region_code: str
    on: date  # the day of the transfer: the source's rates in force then
    months_left: int


@dataclass
class TransferPlan:
    """The money the source moves once (范文1 §4.4 (2)), at its own rates."""

    monthly_amount: Decimal
    monthly_premium: Decimal
    benefit: Decimal
    premium: Decimal
    total: Decimal
    from_fund: str
    to_fund: str
    to_bank_code: str
    to_account_number: str
    to_account_name: str


@dataclass
class TransferLedgerInput:
    """Both sides' ledger entries of one cross-province transfer, written once."""

    source_case_id: str
    destination_case_id: str
    from_region_code: str
    to_region_code: str
    on: date
    at: datetime
    plan: TransferPlan


@dataclass
class TopUpInput:
    """The destination tops up a premium shortfall from its fund (范文1 §4.4 (2))."""

    case_id: str
    region_code: str
    months: int
    transferred_premium: Decimal
    on: date
    at: datetime


@dataclass
class MoveCoverageInput:
    """In the province: the medical relationship moves with the claimant (范文1 §4.4 (1))."""

    case_id: str
    to_region_code: str
    at: datetime
