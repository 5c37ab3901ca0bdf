"""What the payout and medical calendars' loop (`workflow.patched(CALENDAR_LOOP)`) shares:
how many moments a run covers, the agency's date, and how a moment's short steps run — as
local activities inside the timer's workflow task (workflows/payout_calendar.py explains why),
with workflows/local_steps.py's options (`local`, re-exported here): a short start-to-close
and a retry backoff bounded to a minute (a local activity's retries hold the task; the SDK
turns longer waits into timers)."""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.calendar import AGENCY_TZ
    from workflows.local_steps import LOCAL_RETRY, TIMEOUT, local

__all__ = ["CALENDAR_LOOP", "LOCAL_RETRY", "MOMENTS_PER_RUN", "TIMEOUT", "agency_today", "local"]

CALENDAR_LOOP = "calendar-loop"  # workflow.patched: several moments per run
MOMENTS_PER_RUN = 12


def agency_today() -> date:
    """The workflow's date in China time."""
    return workflow.now().astimezone(AGENCY_TZ).date()
