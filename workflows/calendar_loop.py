"""What the payout and medical calendars' loop (`workflow.patched(CALENDAR_LOOP)`) shares:
how many moments a run covers, the agency's date, and how a moment's short steps run — as
local activities inside the timer's workflow task (workflows/payout_calendar.py explains why),
with a short start-to-close and a retry backoff bounded to a minute (a local activity's
retries hold the task; the SDK turns longer waits into timers)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.calendar import AGENCY_TZ

CALENDAR_LOOP = "calendar-loop"  # workflow.patched: several moments per run
MOMENTS_PER_RUN = 12
TIMEOUT = timedelta(seconds=30)
LOCAL_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))


async def local(method: Any, arg: Any) -> Any:
    """`method(arg)` as one of the loop's local activities."""
    return await workflow.execute_local_activity_method(
        method, arg, start_to_close_timeout=TIMEOUT, retry_policy=LOCAL_RETRY
    )


def agency_today() -> date:
    """The workflow's date in China time."""
    return workflow.now().astimezone(AGENCY_TZ).date()
