"""Inputs of the recovery activity (activities/recovery.py)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(kw_only=True)
class OpenRecoveryInput:
    """One overpayment to recover; `key` (e.g. "stop-<case>-<event seq>") makes it once.
    `cause`: late_stop_event | fraud_finding | error (domain/recovery.py)."""

    case_id: str
    cause: str
    amount: Decimal
    evidence: str
    created_by: str
    key: str
    at: datetime


@dataclass(kw_only=True)
class OffsetReviewInput:
    """An offset request awaiting a supervisor (workflows/recovery_offset.py): the recovery
    of `overpaid_case_id`, to be taken from the benefit payments of the later case
    `case_id`, asked for by `requested_by` (who may not decide it)."""

    offset_id: int
    recovery_id: int
    case_id: str
    overpaid_case_id: str
    requested_by: str
    balance: str
    # the later case's region: its policy says when the supervisors' decision is due
    region_code: str = ""


@dataclass(kw_only=True)
class OffsetDecisionInput:
    """The supervisor's decision on an offset request, applied once."""

    offset_id: int
    approve: bool
    decided_by: str
    reason: str | None
    at: datetime


@dataclass(kw_only=True)
class OffsetReviewState:
    offset_id: int
    task_id: str
    status: str = "requested"  # requested | approved | refused
