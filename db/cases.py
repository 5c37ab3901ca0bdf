"""Reading a case's rows for the API and the pages: the read model, its timeline, its
notifications, its payments and its audit trail (keyword-only; the caller owns the session).
Its tasks are db/tasks.py's."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from db.models import AuditEntry, CaseEvent, CaseRecord, Determination, Notification, Payment


@dataclass(frozen=True, kw_only=True)
class CaseFilters:
    """What a case search asks for; None: not asked."""

    stage: str | None = None
    status: str | None = None
    region_code: str | None = None
    regions: tuple[str, ...] | None = None  # the user's regions (None: every region)
    name_or_id: str | None = None  # the claimant's name contains it, or the case ID starts so
    national_id_hash: str | None = None  # the keyed hash of a validated identity number


def find_cases(
    session: Session, *, filters: CaseFilters, limit: int, offset: int = 0
) -> tuple[list[CaseRecord], int]:
    """One page of the cases found, newest activity first, and how many are found."""
    f = filters
    stmt = select(CaseRecord)
    if f.national_id_hash is not None:
        stmt = stmt.where(col(CaseRecord.national_id_hash) == f.national_id_hash)
    if f.stage:
        stmt = stmt.where(CaseRecord.stage == f.stage)
    if f.status:
        stmt = stmt.where(CaseRecord.status == f.status)
    if f.region_code:
        stmt = stmt.where(CaseRecord.region_code == f.region_code)
    if f.name_or_id is not None:
        q = f.name_or_id
        stmt = stmt.where(
            or_(col(CaseRecord.claimant_name).contains(q), col(CaseRecord.case_id).startswith(q))
        )
    if f.regions is not None:
        stmt = stmt.where(col(CaseRecord.region_code).in_(f.regions))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(CaseRecord.updated_at).desc()).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def find_case(session: Session, *, case_id: str) -> CaseRecord | None:
    return session.get(CaseRecord, case_id)


def lock_case(session: Session, *, case_id: str) -> CaseRecord | None:
    """The case's row, locked until the transaction ends (FOR UPDATE on PostgreSQL)."""
    return session.get(CaseRecord, case_id, with_for_update=True)


def event_seqs_kept(session: Session, *, case_id: str, seqs: list[int]) -> set[int]:
    """Which of these timeline positions the case's events hold already."""
    stmt = select(CaseEvent.seq).where(
        CaseEvent.case_id == case_id,
        col(CaseEvent.seq).in_(seqs),
    )
    return set(session.exec(stmt).all())


def events_of(session: Session, *, case_id: str) -> list[CaseEvent]:
    """The case's timeline in the order it happened."""
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq))
    return list(session.exec(stmt).all())


def notifications_of(session: Session, *, case_id: str) -> list[Notification]:
    stmt = (
        select(Notification)
        .where(Notification.case_id == case_id)
        .order_by(col(Notification.created_at), col(Notification.id))
    )
    return list(session.exec(stmt).all())


def payments_of(session: Session, *, case_id: str) -> list[Payment]:
    """The case's ledger entries by month and category."""
    stmt = (
        select(Payment)
        .where(Payment.case_id == case_id)
        .order_by(col(Payment.month), col(Payment.category))
    )
    return list(session.exec(stmt).all())


def determinations_of(session: Session, *, case_id: str) -> list[Determination]:
    stmt = (
        select(Determination)
        .where(Determination.case_id == case_id)
        .order_by(col(Determination.at))
    )
    return list(session.exec(stmt).all())


def find_determination(session: Session, *, key: str) -> Determination | None:
    """The determination recorded under its idempotency key."""
    return session.exec(select(Determination).where(Determination.key == key)).first()


def has_determination(session: Session, *, key: str) -> bool:
    """Whether a determination is recorded under this key (it is written once)."""
    stmt = select(Determination.id).where(Determination.key == key)
    return session.exec(stmt).first() is not None


def audit_of_entities(session: Session, *, entity_ids: list[str]) -> list[AuditEntry]:
    """Entries about any of these entities (a case and its tasks), oldest first."""
    stmt = (
        select(AuditEntry)
        .where(col(AuditEntry.entity_id).in_(entity_ids))
        .order_by(col(AuditEntry.at), col(AuditEntry.id))
    )
    return list(session.exec(stmt).all())


def audit_trail(session: Session, *, case_id: str, task_ids: list[str]) -> list[AuditEntry]:
    """Entries about the case itself and about each of its tasks, oldest first."""
    about_case = and_(col(AuditEntry.entity_type) == "case", col(AuditEntry.entity_id) == case_id)
    about_tasks = and_(
        col(AuditEntry.entity_type) == "task", col(AuditEntry.entity_id).in_(task_ids or ["-"])
    )
    stmt = select(AuditEntry).where(or_(about_case, about_tasks))
    return list(session.exec(stmt.order_by(col(AuditEntry.at), col(AuditEntry.id))).all())
