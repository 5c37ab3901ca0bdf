"""The bank's message IDs already taken (nonces): a signed answer presented again is a replay;
and the status reports (pain.002) kept as received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from db.models import BankMessageSeen, BankStatusReport


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


def keep_report(
    engine: Engine,
    *,
    report_id: str,
    statuses: int,
    run_id: str,
    msg_id: str,
    body: bytes,
    at: datetime,
) -> bool:
    """Store a verified status report as received with its message ID taken, in one
    transaction; False when the message ID was taken already (a replay: nothing written)."""
    with Session(engine) as session:
        if seen_before(session, msg_id):
            return False
        kept = session.get(BankStatusReport, report_id) is not None  # the same bytes
        session.add(BankMessageSeen(msg_id=msg_id, kind="pain.002", received_at=at))
        if not kept:
            session.add(
                BankStatusReport(
                    report_id=report_id,
                    run_id=run_id,
                    msg_id=msg_id,
                    statuses=statuses,
                    received_at=at,
                    body=body,
                )
            )
        try:
            session.commit()
        except IntegrityError:  # delivered twice at once: the other request stored it
            session.rollback()
            if session.get(BankMessageSeen, msg_id) is None:
                raise
            return False
        return True


def release_message(engine: Engine, *, msg_id: str) -> None:
    """Forget a message ID taken by a report the run could not be told of (Temporal down):
    the bank's resend is then accepted, not refused as a replay."""
    with Session(engine) as session:
        seen = session.get(BankMessageSeen, msg_id)
        if seen is not None:
            session.delete(seen)
            session.commit()
