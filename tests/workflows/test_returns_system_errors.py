"""A returned payment's decision that fails permanently becomes a supervisor's `system_error`
task in the run's returns' workflow (workflows/payment_returns.py); the workflow continues as
new every `decisions_per_run` decisions. Each such task has an ID of its own over the whole
chain: the counter once restarted with each run, so the second run opened `...-1` again, the
worklist kept the first run's (completed) row, and the run waited for a task nobody could see.
The supervisor's completion is not counted as a decision (it was refused as RETRY_LATER past
the limit, and taken for a return's decision: the run could never go on). On the
time-skipping server, the worklist and the ledger as recording fakes."""

from __future__ import annotations

import asyncio
import uuid

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.services.tasks import send_completion
from payloads.errors import CONSTRAINT_VIOLATION
from payloads.payments import AppliedChange, ReissueInput, ReturnsInput
from payloads.tasks import CloseTaskInput, CompleteTaskInput, OpenTaskInput
from workflows import ids
from workflows.payment_returns import PaymentReturnsWorkflow


class Fakes:
    """The activities the returns' workflow calls, recording what it asks."""

    def __init__(self) -> None:
        self.opened: list[str] = []  # task IDs, as the worklist would insert them (once each)
        self.closed: list[str] = []
        self.applied: list[list[str]] = []
        self.calls = 0

    @activity.defn(name="open_task")
    async def open_task(self, inp: OpenTaskInput) -> None:
        self.opened.append(inp.task_id)

    @activity.defn(name="open_tasks")
    async def open_tasks(self, inputs: list[OpenTaskInput]) -> int:
        self.opened.extend(i.task_id for i in inputs)
        return len(inputs)

    @activity.defn(name="close_task")
    async def close_task(self, inp: CloseTaskInput) -> None:
        self.closed.append(inp.task_id)

    @activity.defn(name="reissue_or_cancel_many")
    async def reissue_or_cancel_many(self, decisions: list[ReissueInput]) -> int:
        """Every first attempt of a batch refused by the database, the retry applied."""
        self.calls += 1
        if self.calls % 2 == 1:
            raise ApplicationError(
                "a constraint refused the write", type=CONSTRAINT_VIOLATION, non_retryable=True
            )
        self.applied.append([d.end_to_end_id for d in decisions])
        return len(decisions)


async def _open_one(fakes: Fakes, prefix: str, seen: int) -> str:
    """The next task opened whose ID starts with `prefix`, after the first `seen` of them."""
    while True:
        mine = [t for t in fakes.opened if t.startswith(prefix)]
        if len(mine) > seen:
            return mine[seen]
        await asyncio.sleep(0.05)


async def test_system_error_task_ids_stay_unique_across_continue_as_new(
    env: WorkflowEnvironment,
) -> None:
    run_id = f"RSE{uuid.uuid4().hex[:8]}"
    e2es = [f"{run_id}C{i}-1-benefit-1" for i in range(3)]
    fakes = Fakes()
    queue = f"tq-{uuid.uuid4().hex[:12]}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[PaymentReturnsWorkflow],
        activities=[
            fakes.open_task,
            fakes.open_tasks,
            fakes.close_task,
            fakes.reissue_or_cancel_many,
        ],
    ):
        handle: WorkflowHandle[PaymentReturnsWorkflow, int] = await env.client.start_workflow(
            PaymentReturnsWorkflow.run,
            ReturnsInput(
                run_id=run_id,
                queued=[AppliedChange(e, e.split("-")[0], 1, "returned", "AC04") for e in e2es],
                all_reported=True,
                decisions_per_run=1,  # continue as new after each decision
            ),
            id=ids.payment_returns(run_id),
            task_queue=queue,
        )
        system_errors: list[str] = []
        for n, e2e in enumerate(e2es):
            await send_completion(
                handle,
                CompleteTaskInput(
                    task_id=f"payment_returned-{e2e}", outcome="cancel", reason="account closed",
                    actor="finance", actor_roles=["finance"],
                ),
            )  # fmt: skip
            task_id = await asyncio.wait_for(_open_one(fakes, "system_error-", n), 60)
            system_errors.append(task_id)
            await send_completion(
                handle,
                CompleteTaskInput(
                    task_id=task_id, outcome="retry", reason="constraint fixed",
                    actor="supervisor", actor_roles=["supervisor"],
                ),
            )  # fmt: skip
        assert await asyncio.wait_for(handle.result(), 60) == len(e2es)
    wid = ids.payment_returns(run_id)
    # one per run of the chain (three runs: it continued as new after each decision), each new
    assert system_errors == [f"system_error-{wid}-{n}" for n in (1, 2, 3)]
    assert fakes.applied == [[e] for e in e2es]  # each decision applied once, after its fix
    assert sorted(fakes.closed) == sorted(system_errors + [f"payment_returned-{e}" for e in e2es])
