"""Updates sent by the API that survive a busy or restarting Temporal service.

Under load an Update can outlast its RPC deadline (`WorkflowUpdateRPCTimeoutOrCancelledError`:
not an `RPCError`, so it was an HTTP 500), the service can answer UNAVAILABLE or
RESOURCE_EXHAUSTED, and a case that continues as new at a month boundary can close the run an
Update was sent to. Here an Update is sent under one update ID and, once accepted, only polled
for its outcome (never sent again to the run that took it); a transient failure is retried
within a time budget, and what still fails raises `TemporalUnavailable`: a 503 with Retry-After
and a plain message (api/main.py), the details only in the log.

A run about to continue as new may refuse an Update as RETRY_LATER (payloads/errors.py: not
applied); it is sent again a moment later, to the new run. Sent again to a new run, an Update
is a new Update there: only those the workflow itself recognises by a request ID (the
check-in: CaseState.check_in_requests) are sent again after the run that had accepted them
closed (`resend_to_new_run`)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.service import RPCError, RPCStatusCode

from payloads.errors import RETRY_LATER

log = logging.getLogger("api")
R = TypeVar("R")

# what the service answers while busy, restarting or closing a run (ErrWorkflowClosing is
# RESOURCE_EXHAUSTED); a retry can succeed
TRANSIENT = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.ABORTED,
        RPCStatusCode.CANCELLED,
    }
)
# the server's failure of an Update the run had accepted but not completed when it closed
# (continue-as-new included): the Update did not answer in that run
ACCEPTED_UPDATE_ABORTED = "AcceptedUpdateCompletedWorkflow"
CALL_SECONDS = 20.0  # one RPC's deadline; the budget may allow several
PAUSE_SECONDS = 0.25
UPDATE_PATIENCE_SECONDS = 45.0  # default budget of one Update (Settings.temporal_update_seconds)
RETRY_AFTER = "5"  # seconds, for a busy service (an unreachable one: api/deps.py)


class TemporalUnavailable(Exception):
    """A Temporal call that did not go through in time: answered 503 with Retry-After."""


class WorkflowClosed(Exception):
    """The workflow (its latest run) is not running: the caller says what that means."""


async def _running(client: Client, workflow_id: str) -> bool:
    """Whether the workflow's latest run is running (the run an Update went to may have
    continued as new)."""
    try:
        desc = await client.get_workflow_handle(workflow_id).describe(
            rpc_timeout=timedelta(seconds=CALL_SECONDS)
        )
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return desc.status == WorkflowExecutionStatus.RUNNING


async def send_update(
    client: Client,
    workflow_id: str,
    update: Any,
    arg: Any,
    *,
    update_id: str,
    patience: float = UPDATE_PATIENCE_SECONDS,
    resend_to_new_run: bool = False,
) -> Any:
    """Execute `update` on the workflow's latest run as update `update_id` and return its
    result. Raises WorkflowUpdateFailedError (refused or failed), WorkflowClosed (no run is
    running), TemporalUnavailable (no answer within `patience` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    handle: WorkflowUpdateHandle[Any] | None = None
    sent_as = update_id  # a refused Update's ID is not used again
    attempt = 0
    while True:
        attempt += 1
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TemporalUnavailable(f"update {update_id} of {workflow_id}: no answer in time")
        rpc_timeout = timedelta(seconds=min(remaining, CALL_SECONDS))
        try:
            if handle is None:
                handle = await client.get_workflow_handle(workflow_id).start_update(
                    update,
                    arg,
                    id=sent_as,
                    wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                    rpc_timeout=rpc_timeout,
                )
            return await handle.result(rpc_timeout=rpc_timeout)
        except WorkflowUpdateFailedError as err:
            kind = getattr(err.cause, "type", None)
            if kind == RETRY_LATER:  # refused by a run about to continue as new: not applied
                sent_as = f"{update_id}-{attempt}"
            elif not (
                kind == ACCEPTED_UPDATE_ABORTED
                and resend_to_new_run
                and await _running(client, workflow_id)
            ):
                raise
            log.warning("update %s of %s: %s, sent to the new run", update_id, workflow_id, kind)
            handle = None
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            log.warning("update %s of %s: attempt %d timed out", update_id, workflow_id, attempt)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                # the run it went to has closed: continued as new (send it to the new run, if
                # it had not been accepted there, or if the workflow recognises it), or ended
                if not await _running(client, workflow_id):
                    raise WorkflowClosed(workflow_id) from err
                if handle is not None and not resend_to_new_run:
                    raise TemporalUnavailable(f"update {update_id} of {workflow_id}") from err
                handle = None
            elif err.status in TRANSIENT:
                log.warning(
                    "update %s of %s: attempt %d: %s", update_id, workflow_id, attempt, err.status
                )
            else:
                raise
        await asyncio.sleep(min(PAUSE_SECONDS * attempt, max(deadline - loop.time(), 0)))
