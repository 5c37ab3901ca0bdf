"""Reconciliation of a day's bank statement against the ledger (账账相符)."""

from __future__ import annotations

from datetime import date as Date
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import CurrentUser, RuntimeDep, SessionDep, TemporalClientDep
from db.models import ReconciliationRecord
from workflows.reconciliation import ReconcileDayInput, ReconciliationWorkflow

router = APIRouter(prefix="/reconciliations", tags=["reconciliation"])
FINANCE = {"finance", "supervisor"}


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
    body: ReconcileIn, user: CurrentUser, runtime: RuntimeDep, client: TemporalClientDep
) -> dict[str, str]:
    """Start (once) the reconciliation of a day; the daily timer does this in real mode."""
    if not user.role_set & FINANCE:
        raise HTTPException(403, "reconciliation is for finance")
    if body.day >= await runtime.clock.today(client):
        raise HTTPException(
            422, [{"loc": ["body", "day"], "msg": "only a past day", "type": "value_error"}]
        )
    workflow_id = f"reconcile-{body.day.isoformat()}"
    try:
        await client.start_workflow(
            ReconciliationWorkflow.run,
            ReconcileDayInput(day=body.day),
            id=workflow_id,
            task_queue=runtime.settings.task_queue,
        )
    except WorkflowAlreadyStartedError:
        pass
    return {"workflow_id": workflow_id}


@router.get("/{day}", response_model=ReconciliationOut)
def reconciliation(day: Date, session: SessionDep, user: CurrentUser) -> ReconciliationRecord:
    """A day's result: matched count, paid totals per category, open mismatches."""
    row = session.get(ReconciliationRecord, day)
    if row is None:
        raise HTTPException(404, f"{day} has not been reconciled")
    return row
