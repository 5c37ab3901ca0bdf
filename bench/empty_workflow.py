"""The month-cycle benchmark's yardstick: a workflow that only runs no-op activities, one
after the other, on its own task queue (registered by `month_cycle_worker.py --mode empty`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow


@dataclass
class EmptyInput:
    activities: int


@dataclass
class NoopInput:
    i: int


@activity.defn
def noop(inp: NoopInput) -> int:
    """A plain `def` activity on the worker's thread pool, like the database activities."""
    return inp.i


@workflow.defn
class EmptyWorkflow:
    @workflow.run
    async def run(self, inp: EmptyInput) -> int:
        for i in range(inp.activities):
            await workflow.execute_activity(
                noop, NoopInput(i), start_to_close_timeout=timedelta(seconds=30)
            )
        return inp.activities
