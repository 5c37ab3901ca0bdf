"""Inputs of the activities that keep a case's records: its read model, its determinations
(decisions kept as evidence) and its payment obligations in the ledger."""

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


@dataclass(kw_only=True)
class Obligation:
    """An obligation as the ledger holds it: the amount first owed (a month priced again, after
    a policy reload, finds the row and this amount, not its new price)."""

    end_to_end_id: str
    amount: Decimal
