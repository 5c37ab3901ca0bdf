"""Recovery activity: open one recovery per overpayment (issue 11 §4). The stop-event stage
calls it for a stop reported after months beyond the stop day were paid."""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.engine import session_scope
from db.recoveries import RecoveryError
from db.recoveries import open_recovery as _open
from payloads.recovery import OpenRecoveryInput

RECOVERY_REFUSED = "RecoveryRefused"


class RecoveryActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn
    def open_recovery(self, inp: OpenRecoveryInput) -> int:
        """Idempotent on `key`: a retry or a replay returns the first recovery's ID. A refused
        one (unknown case, amount not positive, unknown cause) fails for good."""
        try:
            with session_scope(self.engine) as session:
                row = _open(
                    session,
                    case_id=inp.case_id,
                    cause=inp.cause,
                    amount=inp.amount,
                    evidence=inp.evidence,
                    created_by=inp.created_by,
                    key=inp.key,
                    at=inp.at,
                )
                assert row.id is not None
                return row.id
        except RecoveryError as err:
            raise ApplicationError(
                f"{err.field or 'recovery'}: {err.message}",
                type=RECOVERY_REFUSED,
                non_retryable=True,
            ) from None
