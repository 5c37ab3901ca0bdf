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
