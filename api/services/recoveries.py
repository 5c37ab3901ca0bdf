"""Recovery actions shared by the REST routes and the staff pages (issue 11 §4): each runs
in one transaction off the event loop; a refusal is an ActionError naming the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from api.services import ActionError
from api.threads import in_thread
from db.engine import session_scope
from db.recoveries import Balance, RecoveryError

T = TypeVar("T")


def _run(engine: Engine, fn: Callable[[Session], T]) -> T:
    try:
        with session_scope(engine) as session:
            return fn(session)
    except RecoveryError as err:
        loc = ["body", err.field] if err.field else None
        raise ActionError(err.status, err.message, loc) from None


async def run(engine: Engine, fn: Callable[[Session], T]) -> T:
    """`fn(session)` in one transaction on a worker thread; RecoveryError → ActionError."""
    return await in_thread(_run, engine, fn)


def balance_out(b: Balance) -> dict[str, Any]:
    """A recovery with its balance, as the API and the pages show it."""
    r = b.recovery
    return {
        "recovery_id": r.id,
        "case_id": r.case_id,
        "cause": r.cause,
        "amount": f"{r.amount:.2f}",
        "repaid": f"{b.repaid:.2f}",
        "offset": f"{b.offset:.2f}",
        "balance": f"{b.owed:.2f}",
        "status": r.status,
        "referred_to_labour_department": r.referred,
        "evidence": r.evidence,
        "created_by": r.created_by,
        "created_at": r.created_at.isoformat() if r.created_at else None,
    }
