"""Inputs of the activities that keep a case's records: its read model, its determinations
(decisions kept as evidence) and its payment obligations in the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from pydantic import JsonValue

from payloads.case_state import CaseState


@dataclass(kw_only=True)
class SyncCaseInput:
    state: CaseState
    at: datetime


@dataclass(kw_only=True)
class DeterminationInput:
    key: str
    case_id: str
    kind: str
    outcome: str
    actor: str
    at: datetime
    policy_version: str | None = None
    inputs: dict[str, JsonValue] = field(default_factory=dict)
    result: dict[str, JsonValue] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    reason_text: str | None = None


@dataclass(kw_only=True)
class ObligationInput:
    case_id: str
    region_code: str
    month: int
    period_start: date
    period_end: date
    category: str
    amount: Decimal
    at: datetime
    bank_code: str | None = None
    account_number: str | None = None
    account_name: str | None = None
