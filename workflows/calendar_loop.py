"""What the payout and medical calendars' loop shares (the per-region ones'
`workflow.patched(CALENDAR_LOOP)` path, and the one calendar a kind for every region): how
many moments a run covers, the agency's date, that a moment's short steps run as local
activities inside the timer's workflow task (workflows/payout_calendar.py explains why, with
workflows/local_steps.py's options), and the per-region calendars of earlier
deployments terminated when the one calendar is ensured."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import date
from typing import Any

from temporalio import workflow
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

with workflow.unsafe.imports_passed_through():
    from domain.calendar import AGENCY_TZ
    from workflows.local_steps import local

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


async def all_regions_moments(inp: Any, step: Any, moment_input: Any, kind: str) -> None:
    """The one calendar's run for every region (payout or medical): `MOMENTS_PER_RUN` moments,
    each a timer to `next_at` and ONE local activity `step(moment_input(now, regions, only))`
    that starts what is due and returns each region's place and the next moment; then
    continue-as-new carrying them. A region that failed is retried at the next moment the
    activity chose (the others went on)."""
    regions, at = inp.regions, inp.next_at
    for _ in range(MOMENTS_PER_RUN):
        if at is not None and at > workflow.now():
            await workflow.sleep(at - workflow.now())
        moment = await local(step, moment_input(now=workflow.now(), regions=regions, only=inp.only))
        if moment.failed:
            workflow.logger.warning("%s calendar: regions failed: %s", kind, moment.failed)
        regions, at = moment.regions, moment.next_at
    workflow.continue_as_new(replace(inp, regions=regions, next_at=at))


async def ensure_one(
    client: Client, run: Any, inp: Any, workflow_id: str, earlier: list[str], task_queue: str
) -> None:
    """Start the one calendar of a kind unless it runs already (called when a worker starts),
    after terminating the `earlier` per-region calendars that still run."""
    await terminate_earlier(client, earlier)
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(run, inp, id=workflow_id, task_queue=task_queue)
