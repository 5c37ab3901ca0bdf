"""Audit helpers of the activities (db/audit.py writes the rows): `audit_case_once`, what
happened to a case, once per key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from db import audit
from db.models import AuditEntry


def add_audit_once(session: Session, entry: AuditEntry) -> None:
    """Add an audit entry unless one with the same idempotency key exists (db/audit.py)."""
    audit.record_once(session, entry)


def audit_case_once(
    session: Session,
    *,
    key: str,
    at: datetime,
    actor: str,
    action: str,
    case_id: str,
    data: dict[str, Any],
    reason: str | None = None,
) -> None:
    """Record what happened to a case once (`key` makes a retry a no-op)."""
    audit.write(
        session,
        key=key,
        at=at,
        actor=actor,
        action=action,
        entity_type="case",
        entity_id=case_id,
        reason=reason,
        data=data,
        once=True,
    )
