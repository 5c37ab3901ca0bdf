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


# A step that talks to a server of its own (a notice: the mail server) waits between its
# attempts on a workflow timer, not inside the workflow task: an outage then holds neither the
# workflow task nor, on the simulated clock, the time-skipping server's time (retries inside
# the task are in real time). The SDK sends no threshold for zero, so the least it takes.
AS_TIMER = timedelta(milliseconds=1)
# and its attempts at most 6 hours apart once the first ones failed: each retry on a timer is
# a few events of the workflow's history (an activity's are not), so a mail server down for
# weeks costs a case ~4 retries a day, not one a minute (its history stays far from the limit)
EXTERNAL_RETRY = RetryPolicy(maximum_interval=timedelta(hours=6))


async def local(
    method: Any, arg: Any, timeout: timedelta = TIMEOUT, *, external: bool = False
) -> Any:
    """`method(arg)` as a local activity; `timeout` for a step whose size grows with a
    region's cases (a medical batch), longer than the default; `external` for a step that
    talks to a server of its own (AS_TIMER)."""
    return await workflow.execute_local_activity_method(
        method,
        arg,
        start_to_close_timeout=timeout,
        retry_policy=EXTERNAL_RETRY if external else LOCAL_RETRY,
        local_retry_threshold=AS_TIMER if external else None,
    )
