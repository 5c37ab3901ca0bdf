"""Transfer activities (DOMAIN.md stage 9; seed 000 范文1 §4.4; workflows/claim/transfer.py).

The source's plan at its own rates, both sides' ledger entries of a cross-province transfer in
one transaction (a retry finds them: unique per case, month 0 and category), the destination's
premium top-up, and an in-province move of the medical relationship. The money moves once: the
`transfer_out` entry is paid by the source region's normal payment run, as one bank transfer
with its own end-to-end ID, to the destination fund's account (policy)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ledger import add_obligation
from activities.rules import no_policy, period_at, region_of
from db import coverage, payments
from db.engine import session_scope
from db.queries import audit_case_once
from domain.amounts import monthly_amount
from domain.medical import monthly_premium
from domain.transfers import premium_shortfall, transfer_funds
from payloads.records import ObligationInput
from payloads.transfers import (
    MoveCoverageInput,
    TopUpInput,
    TransferLedgerInput,
    TransferPlan,
    TransferPlanInput,
)
from policy import PolicySource

TRANSFER_MONTH = 0  # a transfer's ledger entries: one per case and category


def _entry(
    case_id: str,
    region_code: str,
    category: str,
    amount: Decimal,
    on: date,
    at: datetime,
    payee: tuple[str, str, str] | None = None,
) -> ObligationInput:
    """A transfer's ledger entry: one per case and category (month 0), dated the day."""
    bank_code, account_number, account_name = payee or (None, None, None)
    return ObligationInput(
        case_id=case_id,
        region_code=region_code,
        month=TRANSFER_MONTH,
        period_start=on,
        period_end=on,
        category=category,
        amount=amount,
        at=at,
        bank_code=bank_code,
        account_number=account_number,
        account_name=account_name,
    )


def _booked(session: Session, inp: ObligationInput) -> str:
    """An entry of the fund's own books (received, not paid by a run): written once."""
    e2e = add_obligation(session, inp)
    row = payments.find_payment(session, end_to_end_id=e2e)
    if row is None:  # add_obligation has just written it (or found it)
        raise RuntimeError(f"no ledger entry {e2e}")
    if row.status == "pending":
        row.status, row.settled_on = "received", inp.period_start
        session.add(row)
    return e2e


class TransferActivities:
    def __init__(self, engine: Engine, policy: PolicySource) -> None:
        self.engine = engine
        self.policy = policy

    @activity.defn
    def plan_transfer(self, inp: TransferPlanInput) -> TransferPlan:
        """The remaining months' benefit and premium at the source's rates, and where the
        money goes (the destination fund's account)."""
        book = self.policy.current()
        source = region_of(book, inp.from_region_code)
        destination = region_of(book, inp.to_region_code)
        if destination.fund is None:
            raise no_policy(f"{inp.to_region_code}: the policy names no fund account")
        period = period_at(source, inp.on)
        funds = transfer_funds(
            inp.months_left,
            monthly_amount(period.benefit, period.rounding),
            monthly_premium(period.medical),
        )
        fund = destination.fund
        return TransferPlan(
            monthly_amount=monthly_amount(period.benefit, period.rounding),
            monthly_premium=monthly_premium(period.medical),
            benefit=funds.benefit,
            premium=funds.premium,
            total=funds.total,
            from_fund=source.fund_code,
            to_fund=destination.fund_code,
            to_bank_code=fund.bank_code,
            to_account_number=fund.account_number,
            to_account_name=fund.account_name,
        )

    @activity.defn
    def record_transfer(self, inp: TransferLedgerInput) -> str:
        """Both sides at once: `transfer_out` on the source fund (paid by its run to the
        destination fund), `transfer_in` on the destination fund. Its end-to-end ID."""
        plan = inp.plan
        if plan.total <= 0:
            raise ApplicationError("nothing to transfer", non_retryable=True)
        with session_scope(self.engine) as session:
            payee = (plan.to_bank_code, plan.to_account_number, plan.to_account_name)
            out = add_obligation(
                session,
                _entry(
                    inp.source_case_id,
                    inp.from_region_code,
                    "transfer_out",
                    plan.total,
                    inp.on,
                    inp.at,
                    payee,
                ),
            )
            _booked(
                session,
                _entry(
                    inp.destination_case_id,
                    inp.to_region_code,
                    "transfer_in",
                    plan.total,
                    inp.on,
                    inp.at,
                ),
            )
            audit_case_once(
                session,
                key=f"transfer:{inp.source_case_id}:{inp.to_region_code}",
                at=inp.at,
                actor="system",
                action="case_transferred",
                case_id=inp.source_case_id,
                reason=None,
                data={
                    "to_case_id": inp.destination_case_id,
                    "from_fund": plan.from_fund,
                    "to_fund": plan.to_fund,
                    "benefit": str(plan.benefit),
                    "premium": str(plan.premium),
                    "total": str(plan.total),
                },
            )
            return out

    @activity.defn
    def record_topup(self, inp: TopUpInput) -> str:
        """The destination's premium for the remaining months beyond what was transferred."""
        region = region_of(self.policy.current(), inp.region_code)
        premium = monthly_premium(period_at(region, inp.on).medical)
        short = premium_shortfall(inp.months, premium, inp.transferred_premium)
        with session_scope(self.engine) as session:
            if short <= 0:
                return "0.00"
            _booked(
                session,
                _entry(inp.case_id, inp.region_code, "premium_topup", short, inp.on, inp.at),
            )
            return str(short)

    @activity.defn
    def move_coverage(self, inp: MoveCoverageInput) -> str:
        """In the province: the claimant's medical relationship moves to the destination."""
        with session_scope(self.engine) as session:
            row = coverage.coverage_of(session, case_id=inp.case_id)
            if row is None or row.region_code == inp.to_region_code:
                return inp.to_region_code
            was = row.region_code
            row.paying_region_code = row.paying_region  # the paying agency stays (范文1 §4.4)
            row.region_code, row.updated_at = inp.to_region_code, inp.at
            session.add(row)
            audit_case_once(
                session,
                key=f"medical:{inp.case_id}:moved:{inp.to_region_code}",
                at=inp.at,
                actor="system",
                action="medical_moved",
                case_id=inp.case_id,
                reason=None,
                data={"from": was, "to": inp.to_region_code},
            )
            return inp.to_region_code
