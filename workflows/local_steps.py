"""Short database-only steps a workflow needs at once, run as local activities: inside the
workflow task that reaches them, with no activity task on the server and no second workflow
task to resume (the calendars' moments, workflows/calendar_loop.py; a payment run's ledger and
worklist writes, workflows/payment_run.py; the claim's benefit month,
workflows/claim/benefit_months.py; the medical declaration's batch and answer,
workflows/medical_declaration.py). Steps that follow each other without a wait share one
workflow task. A short start-to-close by default and a retry backoff bounded to a minute: a
local activity's retries hold the workflow task (and the time-skipping server's time), and the
SDK turns longer waits into timers. Like any activity they run again after a crash, so each is
idempotent, and the worker registers them as it registers its activities."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

TIMEOUT = timedelta(seconds=30)
LOCAL_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))


async def local(method: Any, arg: Any, timeout: timedelta = TIMEOUT) -> Any:
    """`method(arg)` as a local activity; `timeout` for a step whose size grows with a
    region's cases (a medical batch), longer than the default."""
    return await workflow.execute_local_activity_method(
        method, arg, start_to_close_timeout=timeout, retry_policy=LOCAL_RETRY
    )
