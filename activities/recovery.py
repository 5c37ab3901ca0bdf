"""Recovery activities (issue 11 §4): open one recovery per overpayment (the stop-event stage
calls it for a stop reported after months beyond the stop day were paid); apply a
supervisor's decision on an offset request (workflows/recovery_offset.py)."""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.engine import session_scope
from db.recoveries import RecoveryError
from db.recoveries import decide_offset as _decide
from db.recoveries import open_recovery as _open
from db.recovery import RecoveryOffset
from payloads.recovery import OffsetDecisionInput, OpenRecoveryInput

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
            raise _refused(err) from None

    @activity.defn
    def decide_offset(self, inp: OffsetDecisionInput) -> str:
        """Record the decision (audited) and, approved, reduce the later case's unsent
        benefit payments; a retry finds the request decided and changes nothing. Its status."""
        try:
            with session_scope(self.engine) as session:
                row = session.get(RecoveryOffset, inp.offset_id, with_for_update=True)
                if row is not None and row.status != "requested":
                    return row.status
                return _decide(
                    session,
                    offset_id=inp.offset_id,
                    approve=inp.approve,
                    decided_by=inp.decided_by,
                    reason=inp.reason,
                    at=inp.at,
                ).status
        except RecoveryError as err:
            raise _refused(err) from None


def _refused(err: RecoveryError) -> ApplicationError:
    """A refused recovery action fails for good (no retry can change the data)."""
    return ApplicationError(
        f"{err.field or 'recovery'}: {err.message}", type=RECOVERY_REFUSED, non_retryable=True
    )
