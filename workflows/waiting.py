"""Durable waiting inside workflows: until a condition holds or an instant that may move."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow


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
