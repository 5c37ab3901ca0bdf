"""Admin endpoints for tests and demos: modes, the register, batches, webhooks, process now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from medagency.protocol import Month

router = APIRouter(prefix="/admin", tags=["admin"])


class PersonMonth(BaseModel):
    person_ref: str = Field(min_length=1)
    month: Month


class ModeChange(BaseModel):
    """Only the fields given change."""

    slow_ms: int | None = Field(default=None, ge=0)
    down: bool | None = None
    late_hours: float | None = Field(default=None, ge=0)
    reject_persons: list[str] | None = None
    duplicates: list[PersonMonth] | None = None


@router.get("/mode")
async def get_mode(request: Request) -> dict[str, Any]:
    """The test modes in force."""
    return request.app.state.agency.mode.public()


@router.post("/mode")
async def set_mode(change: ModeChange, request: Request) -> dict[str, Any]:
    """Change test modes: slow_ms, down, late_hours, reject_persons (their lines are
    rejected), duplicates (a person's month reported as paid twice)."""
    mode = request.app.state.agency.mode
    given = change.model_dump(exclude_none=True)
    for name in ("slow_ms", "down", "late_hours"):
        if name in given:
            setattr(mode, name, given[name])
    if change.reject_persons is not None:
        mode.reject_persons = set(change.reject_persons)
    if change.duplicates is not None:
        mode.duplicates = {(d.person_ref, d.month) for d in change.duplicates}
    return mode.public()


@router.get("/people")
async def people(request: Request, person_ref: str | None = None) -> list[dict[str, Any]]:
    """The register: each person's status and the months their premium was paid."""
    return request.app.state.agency.store.people(person_ref)


@router.get("/batches")
async def batches(request: Request) -> list[dict[str, Any]]:
    """Every batch received, with how often it was sent."""
    return request.app.state.agency.store.batches()


@router.get("/webhooks")
async def webhooks(request: Request) -> list[dict[str, Any]]:
    """Queued late answers with their delivery state."""
    return request.app.state.agency.store.webhooks()


@router.post("/process")
async def process(request: Request) -> dict[str, int]:
    """Answer the batches that are due now instead of waiting for the loop."""
    return {"answered": await request.app.state.agency.process_due()}
