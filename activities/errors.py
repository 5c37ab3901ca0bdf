"""Permanent activity failures, typed for the workflows (payloads/errors.py).

A write the database refuses (a unique key taken, a value too long for its column, a foreign
key missing) fails the same way on every retry: the worker's interceptor raises it once as a
non-retryable `ConstraintViolation`, and the workflow asks people to fix its cause."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DataError, IntegrityError
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from payloads.errors import CONSTRAINT_VIOLATION

MAX_MESSAGE = 500  # characters of the database's message carried to the task


def constraint_violation(err: IntegrityError | DataError) -> ApplicationError:
    message = str(err.orig or err).strip()[:MAX_MESSAGE]
    return ApplicationError(message, type=CONSTRAINT_VIOLATION, non_retryable=True)


class _Inbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await self.next.execute_activity(input)
        except (IntegrityError, DataError) as err:
            raise constraint_violation(err) from err


class PermanentErrors(Interceptor):
    """Registered on the worker: database refusals become non-retryable, typed errors."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next)
