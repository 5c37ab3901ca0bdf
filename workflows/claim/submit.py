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
from payloads.submissions import EmployerReport, Registration, Submission
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
    handle = await client.start_workflow(
        ClaimWorkflow.run,
        ClaimInput(case_id=case_id),
        id=ids.case(case_id),
        task_queue=task_queue,
        start_signal=signal_name(signal),
        start_signal_args=[submission],
        **options,
    )
    return handle


async def submit_and_wait(
    client: Client,
    task_queue: str,
    case_id: str,
    submission: EmployerReport | Registration,
    **options: Any,
) -> WorkflowHandle[ClaimWorkflow, ClaimResult]:
    """`submit`, then the `written_through` barrier: returns once the case's read model
    shows the submission and what the case made of it (ARCHITECTURE.md: a 2xx is already
    visible). Signal-with-start answers when the signal is stored, before any workflow code
    ran; an Update answers only when its handler returns. The barrier goes to the case's
    latest run (no run ID): a month boundary may continue it as new in between."""
    handle = await submit(client, task_queue, case_id, submission, **options)
    kind: Submission = (
        "employer_report" if isinstance(submission, EmployerReport) else "registration"
    )
    await client.get_workflow_handle_for(ClaimWorkflow.run, handle.id).execute_update(
        ClaimWorkflow.written_through, kind
    )
    return handle
