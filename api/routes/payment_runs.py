"""Starting a region's payment run by hand (the payout calendar starts each payout day's).

A run is started once (issue 13 §4): its workflow ID is the run's, `payment-run-R<region>-
<day>`, started with WorkflowIDReusePolicy.REJECT_DUPLICATE, so a run that is running or has
finished (completed, held, failed or terminated) answers 409 and its obligations are never
gathered, released and paid by a second execution."""

from __future__ import annotations

from datetime import date as Date

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import REFUSED, STAFF, FinanceUser, RuntimeDep, TemporalClientDep
from api.errors import field_error
from domain.access import describe_regions, sees_region
from payloads.payments import PaymentRunInput
from workflows import ids
from workflows.payment_run import PaymentRunWorkflow

router = APIRouter(prefix="/payment-runs", tags=["payments"], responses={**STAFF, **REFUSED})


class PaymentRunIn(BaseModel):
    region_code: str = Field(min_length=6, max_length=6)
    day: Date = Field(description="the payout day: obligations owed up to it are gathered")


class PaymentRunStarted(BaseModel):
    run_id: str
    workflow_id: str


@router.post("", status_code=202, response_model=PaymentRunStarted)
async def start_payment_run(
    body: PaymentRunIn, user: FinanceUser, runtime: RuntimeDep, client: TemporalClientDep
) -> PaymentRunStarted:
    """Finance: start the run of a region's payout day (once; a started run is a 409)."""
    if body.region_code not in runtime.book.regions:
        known = ", ".join(runtime.book.codes())
        raise field_error(["body", "region_code"], f"unknown region (known: {known})")
    if not sees_region(user.regions, body.region_code):
        raise HTTPException(
            403,
            f"region {body.region_code}: {user.username} works {describe_regions(user.regions)}",
        )
    today = await runtime.clock.today(client if runtime.clock.simulated else None)
    if body.day > today:
        raise field_error(["body", "day"], f"is in the future (today is {today})")
    run_id = ids.payment_run_id(body.region_code, body.day)
    workflow_id = ids.payment_run(run_id)
    try:
        await client.start_workflow(
            PaymentRunWorkflow.run,
            PaymentRunInput(run_id=run_id, region_code=body.region_code, cutoff=body.day),
            id=workflow_id,
            task_queue=runtime.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        raise HTTPException(
            409, f"payment run {run_id} was already started; a run is never started twice"
        ) from None
    return PaymentRunStarted(run_id=run_id, workflow_id=workflow_id)
