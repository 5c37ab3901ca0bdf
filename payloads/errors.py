"""The `type` of every ApplicationError that crosses a boundary: the API maps a refused Update
to an HTTP status by it, and a workflow turns a permanent activity failure into a task by it.
Never by the error's message text."""

from __future__ import annotations

# A refused Update (validators in workflows/): the API answers with the status named here.
TASK_NOT_FOUND = "TaskNotFound"  # 404
TASK_CLOSED = "TaskClosed"  # 409
FORBIDDEN = "Forbidden"  # 403
INVALID_OUTCOME = "InvalidOutcome"  # 422, the field in the error's first detail
# the owning workflow is about to continue as new (workflows/payment_returns.py): the API sends
# the same Update again a moment later, to the new run (never shown to the user)
RETRY_LATER = "RetryLater"

# A permanent activity failure: raised once (non-retryable); the workflow opens a task for the
# group that can fix its cause, carrying the error, and waits for them.
NO_POLICY = "NoPolicy"  # no policy in force on the date asked (or no such region)
CONSTRAINT_VIOLATION = "ConstraintViolation"  # the database refused a write
BANK_REJECTED = "BankRejected"  # the bank refused the message (a 4xx other than a duplicate)
INVALID_MESSAGE = "InvalidMessage"  # the run's pain.001 cannot be built (the data is wrong)
# an answer from the bank that is not verifiably its own and fresh (bad or missing signature,
# timestamp outside the window, a message ID seen before): never applied, never retried
BANK_UNVERIFIED = "BankUnverified"
# the medical agency's answer to a batch cannot be applied (it names a batch, line or person
# we did not declare): kept on the batch as its last error, never applied, not polled again
# until someone looked into it
AGENCY_ANSWER_REFUSED = "AgencyAnswerRefused"
PERMANENT: frozenset[str] = frozenset(
    {
        NO_POLICY,
        CONSTRAINT_VIOLATION,
        BANK_REJECTED,
        INVALID_MESSAGE,
        BANK_UNVERIFIED,
        AGENCY_ANSWER_REFUSED,
    }
)
