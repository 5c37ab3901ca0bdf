"""Reading the daily reconciliations for finance's pages (keyword-only; the caller owns the
session). The records are written by activities/reconciliation.py."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.models import ReconciliationRecord, Task


def find_day(session: Session, *, day: date) -> ReconciliationRecord | None:
    return session.get(ReconciliationRecord, day)


def days_between(session: Session, *, first: date, last: date) -> dict[date, ReconciliationRecord]:
    """The records of the days `first`..`last` there are, by day."""
    stmt = select(ReconciliationRecord).where(
        col(ReconciliationRecord.day) >= first, col(ReconciliationRecord.day) <= last
    )
    return {r.day: r for r in session.exec(stmt)}


def latest_days(session: Session, *, limit: int) -> list[ReconciliationRecord]:
    """The latest reconciled days, newest first."""
    stmt = select(ReconciliationRecord).order_by(col(ReconciliationRecord.day).desc()).limit(limit)
    return list(session.exec(stmt))


def open_mismatch_counts(
    session: Session, *, workflow_ids: list[str], active: tuple[str, ...]
) -> dict[str, int]:
    """The still-active mismatch tasks of each reconciliation workflow (none listed: none)."""
    if not workflow_ids:
        return {}
    rows = session.exec(
        select(Task.workflow_id, func.count())
        .where(
            col(Task.workflow_id).in_(workflow_ids),
            col(Task.kind) == "reconciliation_mismatch",
            col(Task.status).in_(active),
        )
        .group_by(col(Task.workflow_id))
    ).all()
    return {w: int(n) for w, n in rows}
