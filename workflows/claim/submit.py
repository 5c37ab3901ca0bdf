"""Submitting to a case from outside (the API, scripts, tests): signal-with-start on the
case's workflow ID, so the employer's report and the registration meet in one case whichever
comes first (ARCHITECTURE.md "Sources of truth").

`start_signal=` takes a name, not a method (temporalio 1.x): the name is read from the
method's own @workflow.signal definition here, the one place a handler name is needed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import workflow
from temporalio.client import Client, WorkflowHandle

from payloads.case_io import ClaimInput, ClaimResult
from payloads.submissions import EmployerReport, Registration
from workflows import ids
from workflows.claim.workflow import ClaimWorkflow


def signal_name(method: Callable[..., Any]) -> str:
    """The name a @workflow.signal method is registered under."""
    defn = workflow._SignalDefinition.from_fn(method)
    if defn is None or not defn.name:
        raise TypeError(f"{method.__qualname__} is not a named @workflow.signal method")
    return defn.name


async def submit(
    client: Client,
    task_queue: str,
    case_id: str,
    submission: EmployerReport | Registration,
    **options: Any,
) -> WorkflowHandle[ClaimWorkflow, ClaimResult]:
    """Start the case with this submission, or signal the running one (WorkflowAlreadyStarted
    only when the ID reuse policy in `options` refuses a closed case)."""
    signal = (
        ClaimWorkflow.submit_employer_report
        if isinstance(submission, EmployerReport)
        else ClaimWorkflow.submit_registration
    )
    return await client.start_workflow(
        ClaimWorkflow.run,
        ClaimInput(case_id=case_id),
        id=ids.case(case_id),
        task_queue=task_queue,
        start_signal=signal_name(signal),
        start_signal_args=[submission],
        **options,
    )
