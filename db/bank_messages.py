"""The bank's message IDs already taken (nonces): a signed answer presented again is a replay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from db.models import BankMessageSeen


def seen_before(session: Session, msg_id: str) -> bool:
    return session.get(BankMessageSeen, msg_id) is not None


def take(engine: Engine, msg_id: str, kind: str, at: datetime) -> bool:
    """Record `msg_id` as taken; False when it was taken before (a replay)."""
    with Session(engine) as session:
        if seen_before(session, msg_id):
            return False
        session.add(BankMessageSeen(msg_id=msg_id, kind=kind, received_at=at))
        try:
            session.commit()
        except IntegrityError:  # taken at the same moment by another process
            session.rollback()
            return False
        return True
