"""Durable waiting inside workflows: until a condition holds or an instant that may move."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from temporalio import workflow

R = TypeVar("R")


def fixed(instant: datetime) -> Callable[[], datetime]:
    return lambda: instant


def _done_or_moved(
    done: Callable[[], bool], until: Callable[[], datetime], target: datetime
) -> Callable[[], bool]:
    return lambda: done() or until() != target


async def wait_until(done: Callable[[], bool], until: Callable[[], datetime]) -> bool:
    """Wait for `done()` or the instant `until()`; True if done. `until` may move (a
    supervisor extends a deadline): the timer follows it."""
    while not done():
        target = until()
        remaining = target - workflow.now()
        if remaining <= timedelta(0):
            return False
        try:
            await workflow.wait_condition(_done_or_moved(done, until, target), timeout=remaining)
        except TimeoutError:
            if until() == target:
                return done()
    return True


class InFlight:
    """The activities a workflow is awaiting that write its read model (rows people read):
    a write answered 2xx waits until there are none (ClaimWorkflow.written). Counting adds
    no command, so replay is unchanged."""

    def __init__(self) -> None:
        self.count = 0

    @property
    def idle(self) -> bool:
        return self.count == 0

    async def run(self, call: Awaitable[R]) -> R:
        self.count += 1
        try:
            return await call
        finally:
            self.count -= 1
