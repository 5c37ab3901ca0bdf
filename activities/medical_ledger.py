"""The agency's answer applied, and the medical money on the UI fund's ledger (DOMAIN.md stage 6).

An accepted month is owed as a `medical_premium` obligation (unique on case, month YYYYMM and
category) to the agency's account from policy, or to the claimant on the cash option (范文1
§4.6), so the normal payment run pays it. A month the agency found paid twice becomes a
`refund` entry to the fund, `pending_approval` until 初审 and 复审 (two different people)
approve it (§4.5; seed 000 范文4: 初审、复审后...审批后执行). Applying an answer again changes
nothing: lines move from pending once, and the ledger's keys are unique."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ledger import add_obligation, end_to_end_id
from activities.medical_wire import AnswerRefused, check_answer
from db import coverage, payments
from db.engine import session_scope
from db.medical import MedicalCoverage, MedicalDeclaration, MedicalDeclarationLine
from db.models import Payment
from db.queries import audit_case_once
from domain.entitlement import add_months
from domain.medical import duplicate_refund, ended_by, month_key, monthly_premium, premium_months
from domain.policy import RegionPolicy
from medagency.protocol import Answer
from payloads.medical import (
    AppliedAnswer,
    BatchInput,
    RefundDecisionInput,
    RefundRef,
    RejectedCase,
)
from payloads.records import ObligationInput
from policy import PolicySource

PREMIUM, REFUND = "medical_premium", "refund"


def _obligation(
    cover: MedicalCoverage, month: date, amount: Decimal, at: datetime, payee: tuple[str, ...]
) -> ObligationInput:
    bank_code, account_number, account_name = payee
    return ObligationInput(
        case_id=cover.case_id,
        region_code=cover.paying_region,  # its fund pays, after an in-province move too
        month=month_key(month),
        period_start=month,
        period_end=add_months(month, 1) - timedelta(days=1),
        category=PREMIUM,
        amount=amount,
        at=at,
        bank_code=bank_code,
        account_number=account_number,
        account_name=account_name,
    )


def owe_claimant(
    session: Session, cover: MedicalCoverage, month: date, region: RegionPolicy, at: datetime
) -> int:
    """范文1 §4.6: the cash option's months, up to `month`, owed to the claimant and paid
    with the benefit; the cover ends once its last month is owed. The number newly owed."""
    rule = region.at(month).medical
    owed = premium_months(cover.start_date, cover.stop_date, month, rule.partial_month)
    posted = payments.months_of(session, case_id=cover.case_id, category=PREMIUM)
    payee = (cover.bank_code or "", cover.account_number or "", cover.account_name or cover.name)
    new = 0
    for m in owed:
        if month_key(m) not in posted:
            amount = monthly_premium(region.at(m).medical)
            add_obligation(session, _obligation(cover, m, amount, at, payee))
            new += 1
    if ended_by(cover.stop_date, month):
        cover.status, cover.updated_at = "stopped", at
        session.add(cover)
    return new


class MedicalLedgerActivities:
    def __init__(self, engine: Engine, policy: PolicySource) -> None:
        self.engine = engine
        self.policy = policy  # re-read per call: an edited policy file applies without restart

    @activity.defn
    def apply_answer(self, inp: BatchInput) -> AppliedAnswer:
        """Apply the batch's kept answer once; the answer (how many accepted, the rejected
        lines by case, the refunds pending approval) is read back from the tables, so a
        retry answers the same."""
        with session_scope(self.engine) as session:
            batch = session.get(MedicalDeclaration, inp.batch_key)
            if batch is None or batch.answer is None:
                raise ApplicationError(f"batch {inp.batch_key} has no answer", non_retryable=True)
            if batch.status != "applied":
                answer = Answer.model_validate(batch.answer)
                try:
                    check_answer(answer, session)
                except AnswerRefused as err:
                    raise ApplicationError(str(err), non_retryable=True) from err
                region = self.policy.current().region(batch.region_code)
                self._apply(session, batch, answer, region, inp.at)
                batch.status, batch.applied_at = "applied", inp.at
                session.add(batch)
            return _outcome(session, batch.batch_key)

    def _apply(
        self,
        session: Session,
        batch: MedicalDeclaration,
        answer: Answer,
        region: RegionPolicy,
        at: datetime,
    ) -> None:
        results = {r.line_id: r for r in answer.lines}
        lines = coverage.lines_of_batch(session, batch_key=batch.batch_key)
        covers = coverage.coverages_of(session, case_ids={ln.case_id for ln in lines})
        for line in lines:
            result = results[line.line_id]
            if line.status != "pending":
                continue
            line.status, line.reason = result.result, result.reason
            session.add(line)
            if result.result != "accepted":
                continue
            cover = covers[line.case_id]
            if line.action == "stop":
                cover.status = "stopped"
            else:
                if line.action == "enrol" and cover.status == "pending":
                    cover.status = "enrolled"
                account = region.at(line.month).medical.agency_account
                payee = (account.bank_code, account.account_number, account.account_name)
                add_obligation(session, _obligation(cover, line.month, line.premium, at, payee))
                if result.duplicate_premium is not None:
                    line.duplicate_premium = result.duplicate_premium
                    amount = duplicate_refund(line.premium, line.duplicate_premium)
                    _refund(session, line, cover.paying_region, amount, at)
            cover.updated_at = at
            session.add(cover)

    @activity.defn
    def decide_refund(self, inp: RefundDecisionInput) -> str:
        """初审 (first) or 复审 (second) of a duplicate-premium refund: approved after both,
        cancelled when either rejects. A repeated decision changes nothing."""
        with session_scope(self.engine) as session:
            row = payments.find_payment(session, end_to_end_id=inp.end_to_end_id)
            if row is None or row.category != REFUND:
                raise ApplicationError(f"no refund {inp.end_to_end_id}", non_retryable=True)
            if row.status != "pending_approval":
                return row.status
            action = f"refund_{inp.stage}_review_{inp.outcome}"
            if inp.outcome == "reject":
                row.status = "cancelled"
            elif inp.stage == "second":
                row.status = "approved"
            row.updated_at = inp.at
            session.add(row)
            audit_case_once(
                session,
                key=f"payment:{row.end_to_end_id}:{action}",
                at=inp.at,
                actor=inp.actor,
                action=action,
                case_id=row.case_id,
                reason=inp.reason,
                data={"month": row.month, "amount": str(row.amount), "status": row.status},
            )
            return row.status


def _refund(
    session: Session, line: MedicalDeclarationLine, fund_region: str, amount: Decimal, at: datetime
) -> None:
    """The duplicate part of a month's premium, owed back by the agency to the fund that
    paid it (`fund_region`)."""
    key = month_key(line.month)
    found = payments.find_obligation(session, case_id=line.case_id, month=key, category=REFUND)
    if found is not None:
        return
    e2e = end_to_end_id(line.case_id, key, REFUND, 1)
    session.add(
        Payment(
            case_id=line.case_id,
            region_code=fund_region,
            month=key,
            period_start=line.month,
            period_end=add_months(line.month, 1) - timedelta(days=1),
            category=REFUND,
            amount=amount,
            status="pending_approval",
            end_to_end_id=e2e,
            created_at=at,
            updated_at=at,
        )
    )
    audit_case_once(
        session,
        key=f"payment:{e2e}:reported",
        at=at,
        actor="medical_agency",
        action="refund_reported",
        case_id=line.case_id,
        reason="重复缴费 (范文1 §4.5): the premium was paid twice",
        data={"month": key, "amount": str(amount), "line_id": line.line_id},
    )


def _outcome(session: Session, batch_key: str) -> AppliedAnswer:
    lines = coverage.lines_of_batch(session, batch_key=batch_key)
    rejected: dict[str, RejectedCase] = {}
    for line in lines:
        if line.status == "rejected":
            case = rejected.setdefault(line.case_id, RejectedCase(line.case_id, [], []))
            case.line_ids.append(line.line_id)
            case.reasons.append(line.reason or "")
    refunds = []
    duplicates = [ln for ln in lines if ln.duplicate_premium is not None]
    for line in duplicates:
        key = month_key(line.month)
        row = payments.find_obligation(session, case_id=line.case_id, month=key, category=REFUND)
        if row is not None:
            refunds.append(RefundRef(row.end_to_end_id, row.case_id, key, row.amount))
    accepted = sum(1 for ln in lines if ln.status == "accepted")
    return AppliedAnswer(batch_key, accepted, list(rejected.values()), refunds)
