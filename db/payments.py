"""Reading the payment ledger and the payment runs for finance's pages and reconciliation
(keyword-only; the caller owns the session). Writing them is the ledger activities' job."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.models import AuditEntry, Payment, PaymentRun


def settled_by_category(session: Session, *, day: date) -> list[tuple[str, int, Decimal]]:
    """(category, how many, their sum) of the payments settled on `day`, by category."""
    rows = session.exec(
        select(Payment.category, func.count(), func.sum(Payment.amount))
        .where(col(Payment.status) == "settled", col(Payment.settled_on) == day)
        .group_by(col(Payment.category))
        .order_by(col(Payment.category))
    ).all()
    return [(c, int(n), Decimal(str(s or 0))) for c, n, s in rows]


def runs_page(
    session: Session, *, page: int, page_size: int, regions: tuple[str, ...] | None = None
) -> tuple[list[PaymentRun], int]:
    """A page of the runs, newest first, and how many there are (of `regions` only, when
    given: region-scoped finance staff)."""
    mine = [] if regions is None else [col(PaymentRun.region_code).in_(regions)]
    total = session.exec(select(func.count()).select_from(PaymentRun).where(*mine)).one()
    runs = session.exec(
        select(PaymentRun)
        .where(*mine)
        .order_by(col(PaymentRun.created_at).desc(), col(PaymentRun.run_id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(runs), int(total)


def find_run(session: Session, *, run_id: str) -> PaymentRun | None:
    return session.get(PaymentRun, run_id)


def payments_of_run(session: Session, *, run_id: str) -> list[Payment]:
    stmt = (
        select(Payment)
        .where(col(Payment.run_id) == run_id)
        .order_by(col(Payment.case_id), col(Payment.month), col(Payment.category))
    )
    return list(session.exec(stmt))


def returned(session: Session, *, regions: tuple[str, ...] | None = None) -> list[Payment]:
    """The payments the bank returned, latest first (of `regions` only, when given)."""
    mine = [] if regions is None else [col(Payment.region_code).in_(regions)]
    stmt = (
        select(Payment)
        .where(col(Payment.status) == "returned", *mine)
        .order_by(col(Payment.updated_at).desc(), col(Payment.id))
    )
    return list(session.exec(stmt))


def totals_by_fund(session: Session) -> list[tuple[str, str, date, Decimal]]:
    """(fund, category, period start, sum) of the ledger, cancelled entries left out."""
    fund, category, start = col(Payment.fund), col(Payment.category), col(Payment.period_start)
    stmt = (
        select(fund, category, start, func.sum(Payment.amount))
        .where(col(Payment.status) != "cancelled")
        .group_by(fund, category, start)
    )
    return [(f, c, d, Decimal(str(a or 0))) for f, c, d, a in session.exec(stmt).all()]


def known_end_to_end_ids(session: Session, *, run_id: str, end_to_end_ids: list[str]) -> set[str]:
    """Which of these end-to-end IDs are payments of the run."""
    stmt = select(Payment.end_to_end_id).where(
        Payment.run_id == run_id, col(Payment.end_to_end_id).in_(end_to_end_ids)
    )
    return set(session.exec(stmt).all())


def find_obligation(session: Session, *, case_id: str, month: int, category: str) -> Payment | None:
    """The ledger entry of a case's month and category (unique), if it is owed already."""
    stmt = select(Payment).where(
        Payment.case_id == case_id,
        Payment.month == month,
        Payment.category == category,
    )
    return session.exec(stmt).first()


def settled_on(session: Session, *, day: date) -> list[Payment]:
    """The payments settled on `day` (the ledger's side of a reconciliation)."""
    stmt = select(Payment).where(Payment.status == "settled", Payment.settled_on == day)
    return list(session.exec(stmt).all())


def returns_journaled(session: Session, *, start: datetime, end: datetime) -> list[AuditEntry]:
    """The audit entries of payments returned in [start, end): they keep the returned
    transaction even after it is re-issued under a new ID."""
    stmt = select(AuditEntry).where(
        AuditEntry.action == "payment_returned",
        col(AuditEntry.at) >= start,
        col(AuditEntry.at) < end,
    )
    return list(session.exec(stmt).all())
