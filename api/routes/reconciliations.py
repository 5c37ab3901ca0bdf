"""Reconciliation of a day's bank statement against the ledger (账账相符)."""

from __future__ import annotations

from datetime import date as Date
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from api.deps import (
    NOT_FOUND,
    STAFF,
    MoneyUser,
    RuntimeDep,
    SessionDep,
    TemporalClientDep,
)
from api.errors import field_error
from api.services import ActionError
from api.services.reconciliations import start_day
from db.models import ReconciliationRecord

router = APIRouter(prefix="/reconciliations", tags=["reconciliation"], responses=STAFF)


class ReconcileIn(BaseModel):
    day: Date


class ReconciliationOut(BaseModel):
    day: Date
    status: str
    matched: int
    paid_by_category: dict[str, Any]
    mismatches: list[dict[str, Any]]


@router.post("", status_code=202)
async def reconcile_day(
    body: ReconcileIn, user: MoneyUser, runtime: RuntimeDep, client: TemporalClientDep
) -> dict[str, str]:
    """Start (once) the reconciliation of a past day (the daily timer does each day at 06:00)."""
    try:
        return {"workflow_id": await start_day(runtime, client, user, body.day)}
    except ActionError as err:
        if err.loc:
            raise field_error(err.loc, err.message) from None
        raise HTTPException(err.status, err.message) from None


@router.get("/{day}", response_model=ReconciliationOut, responses=NOT_FOUND)
def reconciliation(day: Date, session: SessionDep, user: MoneyUser) -> ReconciliationRecord:
    """A day's result: matched count, paid totals per category, open mismatches."""
    row = session.get(ReconciliationRecord, day)
    if row is None:
        raise HTTPException(404, f"{day} has not been reconciled")
    return row
