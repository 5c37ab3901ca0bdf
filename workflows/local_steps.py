"""Short database steps as local activities, run inside the workflow task that reaches them
(the calendars' moments, workflows/calendar_loop.py; a payment run's ledger and worklist
writes, workflows/payment_run.py): no activity task's round trip to the server and no
workflow task to resume after it, and steps that follow each other without a wait share one
workflow task. A local activity's retries hold the task (and the time-skipping server's
time), so its start-to-close is short and its retry backoff bounded to a minute; the SDK
turns a longer wait between attempts into a timer. Idempotent as the activities they run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

TIMEOUT = timedelta(seconds=30)
LOCAL_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))


async def local(method: Any, arg: Any) -> Any:
    """`method(arg)` as a local activity."""
    return await workflow.execute_local_activity_method(
        method, arg, start_to_close_timeout=TIMEOUT, retry_policy=LOCAL_RETRY
    )
