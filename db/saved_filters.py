"""Saved worklist filters: one row per user and name, shared by GET/PUT /api/v1/tasks/filters
and the staff pages (keyword-only; the caller owns the session)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from db.models import SavedFilter


def of_user(session: Session, *, username: str) -> list[SavedFilter]:
    """A user's saved worklist filters, by name."""
    stmt = select(SavedFilter).where(SavedFilter.username == username)
    return list(session.exec(stmt.order_by(col(SavedFilter.name))).all())


def save(
    session: Session, *, username: str, name: str, filters: dict[str, Any], at: datetime
) -> SavedFilter:
    """Save (or replace) a user's filter under a name; flushed, so it has its ID."""
    stmt = select(SavedFilter).where(SavedFilter.username == username, SavedFilter.name == name)
    row = session.exec(stmt).first() or SavedFilter(username=username, name=name, created_at=at)
    row.filters = filters
    session.add(row)
    session.flush()
    return row


def delete(session: Session, *, username: str, filter_id: int) -> bool:
    """Delete one of the user's filters; False if there is none of that ID that is theirs."""
    row = session.get(SavedFilter, filter_id)
    if row is None or row.username != username:
        return False
    session.delete(row)
    return True
