"""What the payout and medical calendars' loop shares (the per-region ones'
`workflow.patched(CALENDAR_LOOP)` path, and the one calendar a kind for every region): how
many moments a run covers, the agency's date, that a moment's short steps run as local
activities inside the timer's workflow task (workflows/payout_calendar.py explains why, with
workflows/local_steps.py's options), and the per-region calendars of earlier
deployments terminated when the one calendar is ensured."""

from __future__ import annotations

from datetime import date

from temporalio import workflow
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

with workflow.unsafe.imports_passed_through():
    from domain.calendar import AGENCY_TZ

CALENDAR_LOOP = "calendar-loop"  # workflow.patched: several moments per run
MOMENTS_PER_RUN = 12


def agency_today() -> date:
    """The workflow's date in China time."""
    return workflow.now().astimezone(AGENCY_TZ).date()


async def terminate_earlier(client: Client, workflow_ids: list[str]) -> None:
    """Terminate the per-region calendars of earlier deployments that still run (the one
    calendar of each kind replaces them; their runs' IDs are the same, so an overlap would be
    harmless, but two calendars a kind are not kept). Not found or closed: nothing to do."""
    for workflow_id in workflow_ids:
        try:
            await client.get_workflow_handle(workflow_id).terminate(
                reason="replaced by the one calendar of all regions"
            )
        except RPCError as err:
            if err.status is not RPCStatusCode.NOT_FOUND:
                raise
