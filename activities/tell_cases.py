"""Telling cases about their payments: each case's workflow gets its payment signal per
settled or returned payment (at least once; the case keeps one event per status). The signal
(ClaimWorkflow.payment_update) is handed in by the worker, so activities never import a
workflow."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity
from temporalio.service import RPCError, RPCStatusCode
from temporalio.types import MethodSyncOrAsyncSingleParam

from db import payment_ledger as ledger
from payloads.payments import AppliedChange
from workflows import ids

TELL_CONCURRENCY = 32  # case signals in flight at once
CaseSignal = MethodSyncOrAsyncSingleParam[Any, AppliedChange, None]


def as_applied(ch: ledger.Change) -> AppliedChange:
    return AppliedChange(ch.end_to_end_id, ch.case_id, ch.month, ch.status, ch.reason)


async def tell_cases(changes: list[AppliedChange], signal: CaseSignal) -> None:
    """Signal each case its payment's new status (closed or unknown cases are skipped).
    Outside a worker (the benchmark calls the activities directly) there is no one to tell."""
    try:
        client = activity.client()
    except RuntimeError:
        return
    gate = asyncio.Semaphore(TELL_CONCURRENCY)

    async def tell(ch: AppliedChange) -> None:
        async with gate:
            try:
                await client.get_workflow_handle(ids.case(ch.case_id)).signal(signal, ch)
            except RPCError as err:
                if err.status != RPCStatusCode.NOT_FOUND:
                    raise

    await asyncio.gather(*(tell(ch) for ch in changes))
