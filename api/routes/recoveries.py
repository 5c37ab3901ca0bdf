"""Overpayment recovery (追回多发待遇, issue 11 §4): record a recovery, repayments by finance,
an offset against a later case approved by a supervisor, balances and the fraud list."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import REFUSED, STAFF, RowId, RuntimeDep, TemporalClientDep, require_roles
from api.errors import http_error
from api.services import ActionError
from api.services import recoveries as offsets
from api.services.recoveries import balance_out, run
from db.models import User
from db.recoveries import (
    balance_of,
    case_balances,
    fraud_referrals,
    get_recovery,
    open_balances,
    open_recovery,
    record_repayment,
)

router = APIRouter(tags=["recoveries"], responses=STAFF)
Staff = Annotated[User, Depends(require_roles("clerk", "reviewer", "supervisor", "finance"))]
Finance = Annotated[User, Depends(require_roles("finance"))]
T = TypeVar("T")


class RecoveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    case_id: str = Field(min_length=1, max_length=32)
    cause: Literal["error", "fraud_finding"]  # late stop events come from the stop stage
    amount: Decimal
    evidence: str = Field(min_length=1, max_length=512, description="document reference")
    key: str | None = Field(default=None, max_length=120, description="idempotency key")


class RepaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    amount: Decimal
    paid_on: date | None = None  # default: today on the system clock
    reference: str | None = Field(default=None, max_length=128)
    key: str | None = Field(default=None, max_length=120, description="idempotency key")


class OffsetIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    case_id: str = Field(min_length=1, max_length=32, description="the later case")


async def _answer(work: Awaitable[T]) -> T:
    """The action's answer; its refusal (ActionError) as the HTTP error naming the field."""
    try:
        return await work
    except ActionError as err:
        raise http_error(err) from err


async def _now(runtime: RuntimeDep, client: TemporalClientDep) -> Any:
    return await runtime.clock.now(client if runtime.clock.simulated else None)


@router.post("/recoveries", status_code=201, responses=REFUSED)
async def create_recovery(
    body: RecoveryIn, user: Staff, runtime: RuntimeDep, client: TemporalClientDep
) -> dict[str, Any]:
    """Record an overpayment found by error or fraud (骗取: referred to the labour department)."""
    at = await _now(runtime, client)
    key = f"manual:{body.key or uuid.uuid4().hex}"

    def do(session: Session) -> dict[str, Any]:
        row = open_recovery(
            session,
            case_id=body.case_id,
            cause=body.cause,
            amount=body.amount,
            evidence=body.evidence,
            created_by=user.username,
            key=key,
            at=at,
        )
        return balance_out(balance_of(session, row))

    return await _answer(run(runtime.engine, do))


@router.get("/recoveries")
async def list_recoveries(
    user: Staff, runtime: RuntimeDep, referred: bool = False
) -> list[dict[str, Any]]:
    """Open recoveries with their balances; `referred=true`: the fraud findings instead."""

    def do(session: Session) -> list[dict[str, Any]]:
        rows = fraud_referrals(session) if referred else open_balances(session)
        return [balance_out(b) for b in rows]

    return await run(runtime.engine, do)


@router.get("/cases/{case_id}/recoveries")
async def recoveries_of_case(
    case_id: str, user: Staff, runtime: RuntimeDep
) -> list[dict[str, Any]]:
    """A case's recoveries with their balances."""
    return await run(runtime.engine, lambda s: [balance_out(b) for b in case_balances(s, case_id)])


@router.post("/recoveries/{recovery_id}/repayments", status_code=201, responses=REFUSED)
async def repay(
    recovery_id: RowId,
    body: RepaymentIn,
    user: Finance,
    runtime: RuntimeDep,
    client: TemporalClientDep,
) -> dict[str, Any]:
    """Finance records a repayment (a `refund` ledger entry); more than the balance: 422."""
    at = await _now(runtime, client)
    key = f"repay:{recovery_id}:{body.key or uuid.uuid4().hex}"
    paid_on = body.paid_on or at.date()

    def do(session: Session) -> dict[str, Any]:
        part = record_repayment(
            session,
            recovery_id=recovery_id,
            amount=body.amount,
            on=paid_on,
            recorded_by=user.username,
            key=key,
            at=at,
            reference=body.reference,
        )
        out = balance_out(balance_of(session, get_recovery(session, recovery_id)))
        return {**out, "end_to_end_id": part.end_to_end_id}

    return await _answer(run(runtime.engine, do))


@router.post("/recoveries/{recovery_id}/offsets", status_code=201, responses=REFUSED)
async def ask_offset(
    recovery_id: RowId,
    body: OffsetIn,
    user: Staff,
    runtime: RuntimeDep,
    client: TemporalClientDep,
) -> dict[str, Any]:
    """Ask to offset the balance against the claimant's later case: a
    `recovery_offset_review` task for the supervisors (its `task_id`), decided through
    `POST /tasks/{task_id}/complete` (`approve`, or `refuse` with a reason) by a supervisor
    other than the one who asked; approved, the later case's unsent benefit payments are
    reduced."""
    return await _answer(offsets.ask_offset(runtime, client, user, recovery_id, body.case_id))
