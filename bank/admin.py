"""Admin endpoints for tests and demos: modes, transactions, webhooks, settle now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

router = APIRouter(prefix="/admin", tags=["admin"])


class ModeChange(BaseModel):
    """Only the fields given change."""

    slow_ms: int | None = Field(default=None, ge=0)
    down: bool | None = None
    hold: bool | None = None
    answer_twice: bool | None = None
    closed_accounts: list[str] | None = None
    blocked_accounts: list[str] | None = None
    refuse: str | None = Field(default=None, max_length=200)


@router.get("/mode")
async def get_mode(request: Request) -> dict[str, Any]:
    """The test modes in force."""
    return request.app.state.bank.mode.public()


@router.post("/mode")
async def set_mode(change: ModeChange, request: Request) -> dict[str, Any]:
    """Change test modes: slow_ms, down, hold (answer, but settle and send nothing),
    answer_twice, closed_accounts, blocked_accounts,
    refuse (a reason: every pain.001 is refused with a 400; "" accepts again)."""
    mode = request.app.state.bank.mode
    for name, value in change.model_dump(exclude_none=True).items():
        setattr(mode, name, set(value) if isinstance(value, list) else value)
    return mode.public()


@router.get("/transactions")
async def transactions(request: Request, msg_id: str | None = None) -> list[dict[str, Any]]:
    """Every transaction (or one message's) with its status now and at acceptance."""
    return request.app.state.bank.store.transactions(msg_id)


@router.get("/webhooks")
async def webhooks(request: Request) -> list[dict[str, Any]]:
    """Queued status webhooks with their delivery state."""
    return request.app.state.bank.store.webhooks()


@router.post("/settle")
async def settle(request: Request) -> dict[str, int]:
    """Run a settlement pass now instead of waiting for the loop."""
    return {"settled": await request.app.state.bank.settle()}
