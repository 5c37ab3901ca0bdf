"""The money a stop event brings after the stop (workflows/claim/stops.py): the funeral grant
and survivor pension of a death (seed 000 art. 23) and the self-employment lump sum (art.
35), each once a reviewer approves it, owed once per case and category (the ledger's key) and
paid by the normal payment runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.ledger import LedgerActivities
    from activities.rules import AmountActivities
    from domain.identifiers import InvalidIdentifier, validate_card_number, validate_uscc
    from domain.stops import StopTerms, death_grants, lump_sum
    from payloads.case_state import CasePolicy
    from payloads.errors import INVALID_OUTCOME
    from payloads.records import ObligationInput
    from payloads.rules import MonthAmountInput
    from payloads.stops import EventData, StopEvent
    from payloads.submissions import BankAccount
    from workflows.claim.benefit_months import Payee
    from workflows.claim.services import CaseServices

GRANT_MONTH = (
    0  # the ledger's month of a one-off payment (funeral grant, survivor pension, lump sum)
)


def terms_of(policy: CasePolicy) -> StopTerms:
    return StopTerms(
        future_limit_days=policy.stop_future_limit_days,
        funeral_grant_months=policy.funeral_grant_months,
        survivor_months_per_dependent=policy.survivor_months_per_dependent,
        survivor_months_three_or_more=policy.survivor_months_three_or_more,
        public_service_factor=policy.public_service_factor,
    )


def invalid(message: str, field: str) -> ApplicationError:
    """A 422 naming the field (api/services/cases.update_error)."""
    return ApplicationError(message, field, type=INVALID_OUTCOME)


def check_death(data: EventData) -> None:
    """Dependents 0 or more; the survivor's account (Luhn) unless no grant is due."""
    if data.dependents is None or data.dependents < 0:
        raise invalid("dependents must be 0 or more", "data.dependents")
    if data.unlawful:
        return
    acct = data.survivor_account
    if acct is None:
        raise invalid("give the survivor's bank account", "data.survivor_account")
    try:
        validate_card_number(acct.account_number)
    except InvalidIdentifier as err:
        raise invalid(str(err), "data.survivor_account.account_number") from None


def check_licence(data: EventData) -> None:
    """The business licence's unified social credit code (GB 32100)."""
    if not data.uscc:
        raise invalid("give the business licence's USCC", "data.uscc")
    try:
        validate_uscc(data.uscc)
    except InvalidIdentifier as err:
        raise invalid(str(err), "data.uscc") from None


class Grants:
    def __init__(self, case: CaseServices, payee: Payee) -> None:
        self.case = case
        self.payee = payee

    async def _price(self, on: date) -> Decimal:
        priced = await self.case.activity(
            AmountActivities.month_amount,
            MonthAmountInput(region_code=self.payee.region_code, on=on),
        )
        return priced.amount

    async def _approved(self, ev: StopEvent, kind: str, title: str, **details: str) -> bool:
        key = f"{kind}-{self.case.case_id}"
        ev.status, ev.task_id = "awaiting_approval", key
        await self.case.open_task(kind, key, title, **cast(dict[str, Any], details))
        done = await self.case.tasks.decided(key)
        ev.status = "approved" if done.outcome == "approve" else "refused"
        return ev.status == "approved"

    async def pay_death_grants(self, ev: StopEvent) -> None:
        """Seed 000 art. 23, after a reviewer's approval; paid to the survivor's account."""
        data = ev.data
        dependents = data.dependents or 0
        monthly = await self._price(ev.effective_date)
        grants = death_grants(
            monthly,
            dependents,
            data.public_service,
            data.unlawful,
            terms_of(self.case.policy),
            self.case.policy.rounding,
        )
        amounts = {
            "funeral_grant": f"{grants.funeral_grant:.2f}",
            "survivor_pension": f"{grants.survivor_pension:.2f}",
        }
        if data.unlawful:
            self.case.event("death_grants_none", None, reason="seed 000 art. 23 ¶2")
            return
        approved = await self._approved(
            ev,
            "death_grants_review",
            "丧葬补助金和抚恤金待审批 / Funeral grant and survivor pension to approve",
            dependents=str(dependents),
            public_service=str(data.public_service).lower(),
            **amounts,
        )
        assert ev.task_id is not None
        done = self.case.tasks.tasks[ev.task_id].completion
        actor = done.actor if done else "system"
        await self.case.determine(
            "death_grants",
            "approved" if approved else "refused",
            actor,
            self.case.policy.policy_version,
            inputs={
                "monthly_amount": f"{monthly:.2f}",
                "dependents": dependents,
                "public_service": data.public_service,
                "evidence": data.evidence,
            },
            result=dict(amounts),
            reasons=["seed 000 art. 23"],
        )
        if not approved:
            return
        for category, amount in (
            ("funeral_grant", grants.funeral_grant),
            ("survivor_pension", grants.survivor_pension),
        ):
            if amount > 0:
                await self._pay_once(category, amount, ev.effective_date, data.survivor_account)

    async def pay_lump_sum(self, ev: StopEvent, months_left: int) -> None:
        """Seed 000 art. 35: the remaining months × the current amount, once, on approval."""
        monthly = await self._price(self.case.today())
        amount = lump_sum(monthly, months_left, self.case.policy.rounding)
        approved = await self._approved(
            ev,
            "lump_sum_review",
            "一次性领取失业保险金待审批 / Self-employment lump sum to approve",
            uscc=ev.data.uscc or "",
            months=str(months_left),
            amount=f"{amount:.2f}",
        )
        assert ev.task_id is not None
        done = self.case.tasks.tasks[ev.task_id].completion
        await self.case.determine(
            "lump_sum",
            "approved" if approved else "refused",
            done.actor if done else "system",
            self.case.policy.policy_version,
            inputs={
                "uscc": ev.data.uscc,
                "months": months_left,
                "monthly_amount": f"{monthly:.2f}",
                "evidence": ev.data.evidence,
            },
            result={"lump_sum": f"{amount:.2f}"},
            reasons=["seed 000 art. 35"],
        )
        if approved:
            await self._pay_once("lump_sum", amount, ev.effective_date, self.payee.account)

    async def _pay_once(
        self, category: str, amount: Decimal, on: date, acct: BankAccount | None
    ) -> None:
        """One obligation per case and category (the ledger's unique key), paid by the runs."""
        await self.case.activity(
            LedgerActivities.create_obligation,
            ObligationInput(
                case_id=self.case.case_id,
                region_code=self.payee.region_code,
                month=GRANT_MONTH,
                period_start=on,
                period_end=on,
                category=category,
                amount=amount,
                at=workflow.now(),
                bank_code=acct.bank_code if acct else None,
                account_number=acct.account_number if acct else None,
                account_name=acct.account_name if acct else None,
            ),
        )
        self.case.event(
            "payment_owed", None, month=GRANT_MONTH, category=category, amount=str(amount)
        )
