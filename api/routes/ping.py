"""A trivial endpoint: the baseline the benchmarks compare real calls with."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(tags=["health"])


class Pong(BaseModel):
    ping: str = "pong"


@router.get("/ping", response_model=Pong)
def ping() -> Pong:
    """Answers at once, touching neither the database nor Temporal."""
    return Pong()
