"""Payment-run activities: gather obligations into a run, submit it to the bank as one
pain.001 (message ID = run ID, so a resubmission is recognised as a duplicate and never
pays twice), apply the bank's per-transaction statuses, re-issue or cancel a return."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import httpx
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ledger import end_to_end_id
from core.settings import Settings
from db.engine import session_scope
from db.models import AuditEntry, Payment, PaymentRun
from db.queries import add_audit_once
from domain.calendar import AGENCY_TZ
from iso20022.pain001 import CreditTransfer, build_pain001
from iso20022.pain001 import PaymentRun as Pain001Run
from iso20022.pain002 import parse_pain002
from policy import PolicyBook


@dataclass
class GatherInput:
    run_id: str
    region_code: str
    cutoff: date
    at: datetime


@dataclass
class RunSummary:
    count: int
    total: Decimal
    totals: dict[str, str]
    approval_threshold: Decimal
    bank_alert_hours: int = 4


@dataclass
class RunInput:
    run_id: str
    at: datetime


@dataclass
class StatusUpdate:
    end_to_end_id: str
    status: str  # ACCP | ACSC | RJCT | PDNG
    reason: str | None = None


@dataclass
class ApplyInput:
    run_id: str
    at: datetime
    statuses: list[StatusUpdate] = field(default_factory=list)


@dataclass
class AppliedChange:
    end_to_end_id: str
    case_id: str
    month: int
    status: str  # settled | returned
    reason: str | None = None


@dataclass
class ReissueInput:
    end_to_end_id: str
    at: datetime
    actor: str
    bank_code: str | None = None
    account_number: str | None = None
    account_name: str | None = None
    cancel_reason: str | None = None  # set: cancel instead of re-issue


@dataclass
class RunStatusInput:
    run_id: str
    status: str
    at: datetime
    released_by: str | None = None
    approved_by: str | None = None


CHUNK = 1000
FINAL = frozenset({"settled", "returned", "cancelled"})


class PaymentActivities:
    def __init__(self, engine: Engine, settings: Settings, book: PolicyBook) -> None:
        self.engine = engine
        self.settings = settings
        self.book = book

    @activity.defn
    def gather_run(self, inp: GatherInput) -> RunSummary:
        """Take every pending, unassigned obligation of the region owed up to the cutoff."""
        with session_scope(self.engine) as session:
            run = session.get(PaymentRun, inp.run_id)
            if run is None:
                run = PaymentRun(
                    run_id=inp.run_id,
                    region_code=inp.region_code,
                    status="gathering",
                    created_at=inp.at,
                )
                session.add(run)
            if run.status == "gathering":
                session.execute(
                    update(Payment)
                    .where(
                        col(Payment.region_code) == inp.region_code,
                        col(Payment.status) == "pending",
                        col(Payment.run_id).is_(None),
                        col(Payment.period_start) <= inp.cutoff,
                    )
                    .values(run_id=inp.run_id)
                )
            rows = session.exec(
                select(Payment.category, func.count(), func.sum(Payment.amount))
                .where(Payment.run_id == inp.run_id)
                .group_by(col(Payment.category))
            ).all()
            totals = {cat: f"{Decimal(total or 0):.2f}" for cat, _, total in rows}
            run.count = sum(int(n) for _, n, _ in rows)
            run.total = sum((Decimal(t) for t in totals.values()), Decimal("0.00"))
            run.totals = totals
            run.status = "awaiting_release" if run.count else "empty"
            session.add(run)
            period = self.book.region(inp.region_code).at(inp.cutoff)
            return RunSummary(
                run.count,
                run.total,
                totals,
                period.release_approval_threshold,
                period.bank_unavailable_alert_hours,
            )

    @activity.defn
    def set_run_status(self, inp: RunStatusInput) -> None:
        with session_scope(self.engine) as session:
            run = session.get(PaymentRun, inp.run_id)
            if run is None:
                raise ApplicationError(f"no run {inp.run_id}", non_retryable=True)
            run.status = inp.status
            run.released_by = inp.released_by or run.released_by
            run.approved_by = inp.approved_by or run.approved_by
            if inp.status == "completed":
                run.completed_at = inp.at
            if inp.status == "held":  # the obligations go back to wait for the next run
                session.execute(
                    update(Payment)
                    .where(col(Payment.run_id) == inp.run_id, col(Payment.status) == "pending")
                    .values(run_id=None)
                )
            session.add(run)

    @activity.defn
    def submit_run(self, inp: RunInput) -> list[str]:
        """Send the run's pain.001. The same run always makes the same message (ID, time,
        transactions), so the bank answers a resubmission as a duplicate: never paid twice."""
        with Session(self.engine) as session:
            run = session.get(PaymentRun, inp.run_id)
            assert run is not None and run.created_at is not None
            payments = session.exec(
                select(Payment)
                .where(Payment.run_id == inp.run_id, col(Payment.status).in_(("pending", "sent")))
                .order_by(col(Payment.end_to_end_id))
            ).all()
            message = build_pain001(self._message(run, list(payments)))
        resp = httpx.post(
            f"{self.settings.bank_url}/pain001",
            content=message,
            headers={"Content-Type": "application/xml"},
            timeout=120,  # a run of 100,000 transfers is a large message
        )
        if resp.status_code not in (202, 409):  # 409: the bank has it already
            raise RuntimeError(f"bank answered {resp.status_code}: {resp.text[:200]}")
        with session_scope(self.engine) as session:
            session.execute(
                update(Payment)
                .where(col(Payment.run_id) == inp.run_id, col(Payment.status) == "pending")
                .values(status="sent", updated_at=inp.at)
            )
            run = session.get(PaymentRun, inp.run_id)
            assert run is not None
            if run.status not in ("submitted", "completed"):
                run.status, run.submitted_at = "submitted", inp.at
                session.add(run)
        return [p.end_to_end_id for p in payments]

    def _message(self, run: PaymentRun, payments: list[Payment]) -> Pain001Run:
        assert run.created_at is not None
        s = self.settings
        return Pain001Run(
            msg_id=run.run_id,
            created_at=run.created_at,
            execution_date=run.created_at.date(),
            debtor_name=s.fund_account_name,
            debtor_account=s.fund_account_number,
            debtor_bank_code=s.fund_bank_code,
            transfers=[
                CreditTransfer(
                    end_to_end_id=p.end_to_end_id,
                    amount=p.amount,
                    creditor_name=p.account_name or "",
                    creditor_account=p.account_number or "",
                    creditor_bank_code=p.bank_code or "",
                    remittance=f"失业保险金 {p.period_start:%Y-%m}",
                )
                for p in payments
            ],
        )

    @activity.defn
    def poll_run(self, inp: RunInput) -> list[StatusUpdate]:
        """The fallback for a lost webhook: ask the bank for the run's statuses."""
        resp = httpx.get(f"{self.settings.bank_url}/status/{inp.run_id}", timeout=30)
        if resp.status_code == 404:
            return []
        resp.raise_for_status()
        report = parse_pain002(resp.content)
        return [StatusUpdate(s.end_to_end_id, s.status, s.reason) for s in report.statuses]

    @activity.defn
    def apply_statuses(self, inp: ApplyInput) -> list[AppliedChange]:
        """Settled or returned, once: a status already applied (a webhook answered twice,
        a poll after a webhook) changes nothing."""
        wanted: dict[str, tuple[str, str | None]] = {}
        for st in inp.statuses:
            new = {"ACSC": "settled", "RJCT": "returned"}.get(st.status)
            if new is not None and st.reason != "DU05":  # DU05: a duplicate; the original stands
                wanted[st.end_to_end_id] = (new, st.reason)
        changes: list[AppliedChange] = []
        ids = list(wanted)
        with session_scope(self.engine) as session:
            for start in range(0, len(ids), CHUNK):  # a few statements per chunk, not per row
                rows = session.exec(
                    select(Payment).where(
                        Payment.run_id == inp.run_id,
                        col(Payment.end_to_end_id).in_(ids[start : start + CHUNK]),
                    )
                ).all()
                keys = {
                    p.end_to_end_id: f"payment:{p.end_to_end_id}:{wanted[p.end_to_end_id][0]}"
                    for p in rows
                }
                audited = set(
                    session.exec(
                        select(AuditEntry.key).where(col(AuditEntry.key).in_(list(keys.values())))
                    ).all()
                )
                for p in rows:
                    new, reason = wanted[p.end_to_end_id]
                    if p.status in FINAL:
                        continue
                    p.status, p.updated_at = new, inp.at
                    if new == "settled":
                        p.settled_on = inp.at.astimezone(AGENCY_TZ).date()  # the bank's booking day
                    else:
                        p.returned_reason = reason
                    session.add(p)
                    if keys[p.end_to_end_id] not in audited:
                        session.add(
                            AuditEntry(
                                key=keys[p.end_to_end_id],
                                at=inp.at,
                                actor="bank",
                                action=f"payment_{new}",
                                entity_type="case",
                                entity_id=p.case_id,
                                reason=reason,
                                data={
                                    "end_to_end_id": p.end_to_end_id,
                                    "month": p.month,
                                    "amount": str(p.amount),
                                    "category": p.category,
                                },
                            )
                        )
                    changes.append(AppliedChange(p.end_to_end_id, p.case_id, p.month, new, reason))
                session.flush()
        return changes

    @activity.defn
    def reissue_or_cancel(self, inp: ReissueInput) -> str:
        """A returned payment: a new transaction of the same obligation (new end-to-end ID,
        corrected account, back to pending for the next run), or cancelled with a reason."""
        with session_scope(self.engine) as session:
            p = session.exec(
                select(Payment).where(Payment.end_to_end_id == inp.end_to_end_id)
            ).first()
            if p is None:  # already re-issued under a new ID by an earlier attempt
                return "done"
            if p.status != "returned":
                return p.status
            if inp.cancel_reason is not None:
                p.status, action = "cancelled", "payment_cancelled"
            else:
                p.attempt += 1
                p.end_to_end_id = end_to_end_id(p.case_id, p.month, p.category, p.attempt)
                p.bank_code = inp.bank_code or p.bank_code
                p.account_number = inp.account_number or p.account_number
                p.account_name = inp.account_name or p.account_name
                p.status, p.run_id, p.returned_reason = "pending", None, None
                action = "payment_reissued"
            p.updated_at = inp.at
            session.add(p)
            add_audit_once(
                session,
                AuditEntry(
                    key=f"payment:{inp.end_to_end_id}:{action}",
                    at=inp.at,
                    actor=inp.actor,
                    action=action,
                    entity_type="case",
                    entity_id=p.case_id,
                    reason=inp.cancel_reason,
                    data={"from": inp.end_to_end_id, "to": p.end_to_end_id},
                ),
            )
            return p.status
