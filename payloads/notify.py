"""A notification to send once (notifications/outbox.py): from a workflow's activity or the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import JsonValue


@dataclass(kw_only=True)
class NotifyInput:
    key: str  # idempotency key: the same key is written and delivered once
    template: str
    at: datetime
    case_id: str | None = None
    email: str | None = None
    phone: str | None = None
    params: dict[str, JsonValue] = field(default_factory=dict)
