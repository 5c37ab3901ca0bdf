"""What the payout and medical calendars' loop (`workflow.patched(CALENDAR_LOOP)`) shares:
how many moments a run covers and the agency's date. A moment's short steps run as local
activities inside the timer's workflow task (workflows/payout_calendar.py explains why) with
workflows/local_steps.py's options."""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.calendar import AGENCY_TZ

CALENDAR_LOOP = "calendar-loop"  # workflow.patched: several moments per run
MOMENTS_PER_RUN = 12


def agency_today() -> date:
    """The workflow's date in China time."""
    return workflow.now().astimezone(AGENCY_TZ).date()
