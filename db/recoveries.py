"""Overpayment recovery (issue 11 §4): keyword-only data access shared by the activities and
the API. Every write is idempotent on a key and audited through db/audit.py; every repayment
or offset writes one `refund` row of the payment ledger.

Ledger rows of a recovery: category `refund` on the overpaid case, `month` = −(repayment id)
(not a benefit month, so it never meets the (case, month, category) key of a real month),
status `received` (paid back by the claimant) or `offset` (taken from a later case's
payment, whose obligation is reduced by as much). Neither status is picked up by a payment
run nor by the bank reconciliation (they only read `pending` and `settled`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from db.models import CaseRecord, Payment
from db.queries import audit_case_once
from db.recovery import Recovery, RecoveryOffset, RecoveryRepayment
from domain.recovery import (
    OFFSET_CATEGORIES,
    RECOVERY_CAUSES,
    RecoveryRuleError,
    balance,
    check_amount,
    check_repayment,
    offset_of,
    refers_to_labour_department,
)

REFUND = "refund"


class RecoveryError(Exception):
    """A refused recovery action: `status` 404/409/422, `field` the input at fault."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


@dataclass(frozen=True)
class Balance:
    recovery: Recovery
    repaid: Decimal
    offset: Decimal
    owed: Decimal


def _case(session: Session, case_id: str, field: str = "case_id") -> CaseRecord:
    row = session.get(CaseRecord, case_id)
    if row is None:
        raise RecoveryError(422, f"no case {case_id}", field)
    return row


def _rule(err: RecoveryRuleError) -> RecoveryError:
    return RecoveryError(422, str(err), err.field)


def open_recovery(
    session: Session,
    *,
    case_id: str,
    cause: str,
    amount: Decimal,
    evidence: str,
    created_by: str,
    key: str,
    at: datetime,
) -> Recovery:
    """One recovery per overpayment; the same key again returns the first (a retry)."""
    found = session.exec(select(Recovery).where(Recovery.key == key)).first()
    if found is not None:
        if found.case_id != case_id or found.amount != amount or found.cause != cause:
            raise RecoveryError(409, f"key {key} already names another recovery", "key")
        return found
    if cause not in RECOVERY_CAUSES:
        raise RecoveryError(422, f"one of {', '.join(RECOVERY_CAUSES)}", "cause")
    try:
        value = check_amount(amount)
    except RecoveryRuleError as err:
        raise _rule(err) from None
    if not evidence.strip():
        raise RecoveryError(422, "name the evidence (a document reference)", "evidence")
    case = _case(session, case_id)
    row = Recovery(
        key=key,
        case_id=case_id,
        person_ref=case.national_id_hash,
        region_code=case.region_code,
        cause=cause,
        amount=value,
        evidence=evidence.strip(),
        created_by=created_by,
        referred=refers_to_labour_department(cause),
        created_at=at,
    )
    session.add(row)
    session.flush()
    audit_case_once(
        session,
        key=f"recovery:{key}:opened",
        at=at,
        actor=created_by,
        action="recovery_opened",
        case_id=case_id,
        reason=evidence.strip(),
        data={"recovery_id": row.id, "cause": cause, "amount": f"{value:.2f}"},
    )
    if row.referred:
        audit_case_once(
            session,
            key=f"recovery:{key}:referred",
            at=at,
            actor=created_by,
            action="fraud_referred_to_labour_department",
            case_id=case_id,
            reason="骗取失业保险待遇: 经办机构责令退还; 罚款由劳动保障行政部门决定 (seed 002)",
            data={"recovery_id": row.id, "amount": f"{value:.2f}"},
        )
    return row


def get_recovery(session: Session, recovery_id: int, *, lock: bool = False) -> Recovery:
    row = session.get(Recovery, recovery_id, with_for_update=lock)
    if row is None:
        raise RecoveryError(404, f"no recovery {recovery_id}")
    return row


def balance_of(session: Session, rec: Recovery) -> Balance:
    parts = session.exec(
        select(RecoveryRepayment).where(RecoveryRepayment.recovery_id == rec.id)
    ).all()
    repaid = sum((p.amount for p in parts if p.kind == "repayment"), Decimal("0.00"))
    offset = sum((p.amount for p in parts if p.kind == "offset"), Decimal("0.00"))
    return Balance(rec, repaid, offset, balance(rec.amount, [p.amount for p in parts]))


def _take(
    session: Session,
    rec: Recovery,
    *,
    kind: str,
    amount: Decimal,
    on: date,
    recorded_by: str,
    key: str,
    at: datetime,
    reference: str | None = None,
    offset_payment: Payment | None = None,
) -> RecoveryRepayment:
    """One repayment or offset and its `refund` ledger row, the recovery settled at zero."""
    part = RecoveryRepayment(
        key=key,
        recovery_id=rec.id or 0,
        kind=kind,
        amount=amount,
        recorded_by=recorded_by,
        reference=reference,
        paid_on=on,
        end_to_end_id=f"pending-{key}"[:35],
        offset_payment=offset_payment.end_to_end_id if offset_payment else None,
        offset_case_id=offset_payment.case_id if offset_payment else None,
        at=at,
    )
    session.add(part)
    session.flush()
    assert part.id is not None
    part.end_to_end_id = f"{rec.case_id}-RF{part.id:07d}"
    session.add(
        Payment(
            case_id=rec.case_id,
            region_code=rec.region_code,
            month=-part.id,
            period_start=on,
            period_end=on,
            category=REFUND,
            amount=amount,
            status="received" if kind == "repayment" else "offset",
            end_to_end_id=part.end_to_end_id,
            settled_on=on,
            created_at=at,
            updated_at=at,
        )
    )
    session.flush()
    if balance_of(session, rec).owed == 0:
        rec.status = "settled"
        session.add(rec)
    audit_case_once(
        session,
        key=f"recovery:{key}:{kind}",
        at=at,
        actor=recorded_by,
        action=f"recovery_{kind}",
        case_id=rec.case_id,
        reason=reference,
        data={
            "recovery_id": rec.id,
            "amount": f"{amount:.2f}",
            "end_to_end_id": part.end_to_end_id,
            "offset_payment": part.offset_payment,
        },
    )
    return part


def record_repayment(
    session: Session,
    *,
    recovery_id: int,
    amount: Decimal,
    on: date,
    recorded_by: str,
    key: str,
    at: datetime,
    reference: str | None = None,
) -> RecoveryRepayment:
    """Finance records money paid back; more than the balance is refused (422)."""
    found = session.exec(select(RecoveryRepayment).where(RecoveryRepayment.key == key)).first()
    if found is not None:
        if found.recovery_id != recovery_id or found.amount != amount:
            raise RecoveryError(409, f"key {key} already names another repayment", "key")
        return found
    rec = get_recovery(session, recovery_id, lock=True)
    try:
        value = check_repayment(balance_of(session, rec).owed, amount)
    except RecoveryRuleError as err:
        raise _rule(err) from None
    return _take(
        session,
        rec,
        kind="repayment",
        amount=value,
        on=on,
        recorded_by=recorded_by,
        key=key,
        at=at,
        reference=reference,
    )


def request_offset(
    session: Session, *, recovery_id: int, case_id: str, requested_by: str, at: datetime
) -> RecoveryOffset:
    """Ask a supervisor to offset the balance against a later case of the same person."""
    rec = get_recovery(session, recovery_id)
    target = _case(session, case_id)
    if case_id == rec.case_id:
        raise RecoveryError(422, "the offset takes a later case's payments", "case_id")
    if target.national_id_hash is None or target.national_id_hash != rec.person_ref:
        raise RecoveryError(422, "that case is not the same claimant's", "case_id")
    if balance_of(session, rec).owed == 0:
        raise RecoveryError(409, f"recovery {recovery_id} is settled")
    found = session.exec(
        select(RecoveryOffset).where(
            RecoveryOffset.recovery_id == recovery_id, RecoveryOffset.case_id == case_id
        )
    ).first()
    if found is not None:
        return found
    row = RecoveryOffset(
        recovery_id=recovery_id, case_id=case_id, requested_by=requested_by, requested_at=at
    )
    session.add(row)
    session.flush()
    audit_case_once(
        session,
        key=f"recovery_offset:{row.id}:requested",
        at=at,
        actor=requested_by,
        action="recovery_offset_requested",
        case_id=rec.case_id,
        data={"recovery_id": recovery_id, "offset_id": row.id, "against_case": case_id},
    )
    return row


def decide_offset(
    session: Session,
    *,
    offset_id: int,
    approve: bool,
    decided_by: str,
    reason: str | None,
    at: datetime,
) -> RecoveryOffset:
    """A supervisor approves (then the later case's unsent payments are reduced) or refuses;
    not the person who asked (a second pair of eyes)."""
    row = session.get(RecoveryOffset, offset_id, with_for_update=True)
    if row is None:
        raise RecoveryError(404, f"no offset request {offset_id}")
    if row.status != "requested":
        raise RecoveryError(409, f"offset request {offset_id} is already {row.status}")
    if decided_by == row.requested_by:
        raise RecoveryError(409, "the person who asked for the offset cannot approve it")
    if not approve and not (reason or "").strip():
        raise RecoveryError(422, "say why the offset is refused", "reason")
    row.status = "approved" if approve else "refused"
    row.decided_by, row.decided_at, row.reason = decided_by, at, reason
    session.add(row)
    rec = get_recovery(session, row.recovery_id)
    audit_case_once(
        session,
        key=f"recovery_offset:{row.id}:{row.status}",
        at=at,
        actor=decided_by,
        action=f"recovery_offset_{row.status}",
        case_id=rec.case_id,
        reason=reason,
        data={"recovery_id": rec.id, "offset_id": row.id, "against_case": row.case_id},
    )
    if approve:
        apply_offsets(session, case_id=row.case_id, at=at)
    return row


def apply_offsets(session: Session, *, case_id: str, at: datetime) -> Decimal:
    """Reduce the case's unsent benefit obligations by its approved offsets (each obligation
    once per recovery; never another category: domain/recovery.OFFSET_CATEGORIES); an
    obligation taken whole is marked `offset` (nothing to send).
    Idempotent: a second call finds every obligation already taken. The total taken."""
    offsets = session.exec(
        select(RecoveryOffset)
        .where(RecoveryOffset.case_id == case_id, RecoveryOffset.status == "approved")
        .order_by(col(RecoveryOffset.id))
    ).all()
    taken = Decimal("0.00")
    for off in offsets:
        rec = get_recovery(session, off.recovery_id, lock=True)
        owed = balance_of(session, rec).owed
        if owed == 0:
            continue
        payments = session.exec(
            select(Payment)
            .where(
                Payment.case_id == case_id,
                col(Payment.category).in_(OFFSET_CATEGORIES),
                Payment.status == "pending",
                col(Payment.run_id).is_(None),
            )
            .order_by(col(Payment.month))
        ).all()
        for p in payments:
            key = f"offset:{off.id}:{p.end_to_end_id}"
            if session.exec(
                select(RecoveryRepayment.id).where(RecoveryRepayment.key == key)
            ).first():
                continue
            take = offset_of(p.amount, owed)
            if take == 0:
                break
            p.amount -= take
            if p.amount == 0:
                p.status = "offset"
            p.updated_at = at
            session.add(p)
            _take(
                session,
                rec,
                kind="offset",
                amount=take,
                on=p.period_start,
                recorded_by=off.decided_by or "system",
                key=key,
                at=at,
                reference=f"offset {off.id} approved by {off.decided_by}",
                offset_payment=p,
            )
            owed -= take
            taken += take
    return taken


def case_balances(session: Session, case_id: str) -> list[Balance]:
    """The recoveries of one case with their balances (the case page)."""
    rows = session.exec(
        select(Recovery).where(Recovery.case_id == case_id).order_by(col(Recovery.id))
    ).all()
    return [balance_of(session, r) for r in rows]


def open_balances(session: Session, *, limit: int = 200) -> list[Balance]:
    """Open recoveries, oldest first (the finance page)."""
    rows = session.exec(
        select(Recovery).where(Recovery.status == "open").order_by(col(Recovery.id)).limit(limit)
    ).all()
    return [balance_of(session, r) for r in rows]


def fraud_referrals(session: Session, *, limit: int = 200) -> list[Balance]:
    """Fraud findings awaiting the labour department's decision (the supervisors' list)."""
    rows = session.exec(
        select(Recovery)
        .where(col(Recovery.referred).is_(True))
        .order_by(col(Recovery.id))
        .limit(limit)
    ).all()
    return [balance_of(session, r) for r in rows]


def pending_offsets(session: Session) -> list[RecoveryOffset]:
    """Offset requests awaiting a supervisor."""
    return list(
        session.exec(
            select(RecoveryOffset)
            .where(RecoveryOffset.status == "requested")
            .order_by(col(RecoveryOffset.id))
        ).all()
    )
