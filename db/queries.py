"""Small data-access helpers shared by activities and API routes (keyword-only)."""

from __future__ import annotations

from sqlmodel import Session, select

from db.models import AuditEntry


def add_audit_once(session: Session, entry: AuditEntry) -> None:
    """Add an audit entry unless one with the same idempotency key exists."""
    if session.exec(select(AuditEntry.id).where(AuditEntry.key == entry.key)).first() is None:
        session.add(entry)
