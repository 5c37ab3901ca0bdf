"""A mass return stays within bounded histories (issue 13 §6): 2,000 payments of one run come
back from the simulated bank (over real HTTP, on the time-skipping server); the run hands them
to its returns' workflow a page at a time, which opens finance's tasks a page per activity,
applies the decisions in batches and continues as new every DECISIONS_PER_RUN decisions. Every
return is decided and applied once; no history grows with the number of returns (before: a
coroutine and 8+ events each in the run, ~6,000 returns past Temporal's event limit)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from api.services.tasks import send_completion
from db.models import AuditEntry, Payment, PaymentRun, Task
from payloads.payments import PaymentRunInput
from payloads.tasks import CompleteTaskInput
from tests.utils import own_database
from tests.utils.temporal import CONVERTER, advance, today
from tests.workflows.test_payment_run import (
    REGION,
    Stack,
    _replayer,
    _seed_obligations,
    _task_id,
    stack,  # noqa: F401  (the fixture)
    state_when_run,
)
from workflows import ids
from workflows.payment_returns import DECISIONS_PER_RUN, PaymentReturnsWorkflow
from workflows.payment_run import PaymentRunWorkflow

# a database of the test's own: its 2,000 returns of REGION on one day must not join another
# test's run or reconciliation of that day (the shared database keeps them)
database_url, engine, settings = (
    own_database.database_url,
    own_database.engine,
    own_database.settings,
)

N = 2000
CONCURRENCY = 16  # finance's decisions arriving together


async def _decide(h: WorkflowHandle[Any, Any], e2e: str) -> None:
    """One cancellation as the API sends it (again while the workflow continues as new)."""
    await send_completion(
        h,
        CompleteTaskInput(
            task_id=f"payment_returned-{e2e}",
            outcome="cancel",
            reason="account closed, claimant unreachable",
            actor="finance",
            actor_roles=["finance"],
        ),
    )


async def _histories(env: WorkflowEnvironment, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of a workflow's chain of continue-as-new, newest first (each run's first
    event names the run it continues)."""
    found, run_id = [], ""
    while True:
        h = await env.client.get_workflow_handle(workflow_id, run_id=run_id or None).fetch_history()
        found.append(h)
        started = h.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id
        if not run_id:
            return found


# what a workflow task's completion writes right after it (its commands and Update messages)
_OUTPUTS = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    EventType.EVENT_TYPE_MARKER_RECORDED,
    EventType.EVENT_TYPE_TIMER_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
}


def _idle_workflow_tasks(history: WorkflowHistory) -> int:
    """Workflow tasks that wrote nothing (3 events each): on the time-skipping test server an
    Update the run refuses (RETRY_LATER, while it drains to continue as new) still leaves its
    workflow task in the history, and the API sends it again every RETRY_PAUSE until the new
    run takes it, so their number follows how long the drain takes in real time (a loaded
    machine: a run of 3,019 events, ~1,800 unloaded). A server that runs such tasks
    speculatively (Temporal 1.21+) keeps none of them."""
    events = history.events
    return sum(
        1
        for i, e in enumerate(events)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        and (i + 1 == len(events) or events[i + 1].event_type not in _OUTPUTS)
    )


async def _all_opened(engine: Engine, owner: str) -> None:
    for _ in range(6000):  # a generous bound for a loaded machine, not a timing check
        with Session(engine) as session:
            n = session.exec(
                select(func.count()).select_from(Task).where(Task.workflow_id == owner)
            ).one()
        if n >= N:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {n} of {N} tasks opened")


async def _approval_or_none(engine: Engine, run_id: str) -> str | None:
    """The run's approval task, or None once it is submitted without one."""
    for _ in range(6000):  # a generous bound for a loaded machine, not a timing check
        with Session(engine) as session:
            task = session.exec(
                select(Task).where(
                    Task.kind == "payment_run_approval",
                    Task.workflow_id == ids.payment_run(run_id),
                )
            ).first()
            run = session.get(PaymentRun, run_id)
        if task is not None:
            return task.task_id
        if run is not None and run.status == "submitted":
            return None
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} neither awaits approval nor was submitted")


async def test_two_thousand_returns_are_each_decided_once_in_bounded_histories(
    env: WorkflowEnvironment,
    stack: Stack,  # noqa: F811
    engine: Engine,
    task_queue: str,
) -> None:
    prefix = f"mass{task_queue[-6:]}"
    day = await today(env)
    e2e_ids = _seed_obligations(engine, prefix, N, day, closed=N)  # all to a closed account
    async with stack.worker():
        run_id = f"R{REGION}-{day:%Y%m%d}-{prefix[-4:]}"
        run = await env.client.start_workflow(
            PaymentRunWorkflow.run,
            PaymentRunInput(run_id=run_id, region_code=REGION, cutoff=day),
            id=ids.payment_run(run_id),
            task_queue=task_queue,
        )
        release = await _task_id(engine, run_id, "payment_run_release")
        finance: dict[str, Any] = {"actor_roles": ["finance"]}
        await run.execute_update(
            PaymentRunWorkflow.complete_task,
            CompleteTaskInput(task_id=release, outcome="release", actor="finance", **finance),
        )
        approval = await _approval_or_none(engine, run_id)
        if approval is not None:  # over the region's approval threshold
            await run.execute_update(
                PaymentRunWorkflow.complete_task,
                CompleteTaskInput(task_id=approval, outcome="approve", actor="finance2", **finance),
            )
        await state_when_run(engine, run, lambda st: st.status == "submitted", timeout=300)
        await advance(env, 0.1)  # past the bank's settlement delay: every one comes back
        owner = ids.payment_returns(run_id)
        await _all_opened(engine, owner)
        returns = env.client.get_workflow_handle(owner)
        gate = asyncio.Semaphore(CONCURRENCY)

        done: list[str] = []

        async def decide(e2e: str) -> None:
            async with gate:  # an Update that never answers fails the test, not hangs it
                await asyncio.wait_for(_decide(returns, e2e), timeout=300)
                done.append(e2e)
                if len(done) % 250 == 0:
                    print(f"{len(done)} decided")  # noqa: T201

        await asyncio.gather(*(decide(e2e) for e2e in e2e_ids))
        await state_when_run(engine, run, lambda st: st.status == "completed", timeout=600)
        parent = await run.fetch_history()
        chain = await _histories(env, owner)
    await _replayer().replay_workflow(parent)
    returns_replayer = Replayer(workflows=[PaymentReturnsWorkflow], data_converter=CONVERTER)
    for history in chain:  # every run of the chain replays on this code
        await returns_replayer.replay_workflow(history)

    with Session(engine) as session:
        statuses = session.exec(
            select(Payment.status, func.count())
            .where(col(Payment.end_to_end_id).in_(e2e_ids))
            .group_by(col(Payment.status))
        ).all()
        cancelled = session.exec(
            select(AuditEntry.key).where(
                AuditEntry.action == "payment_cancelled",
                col(AuditEntry.key).in_([f"payment:{e}:payment_cancelled" for e in e2e_ids]),
            )
        ).all()
        tasks = session.exec(
            select(Task.status, func.count())
            .where(Task.workflow_id == owner)
            .group_by(col(Task.status))
        ).all()
    assert dict(statuses) == {"cancelled": N}
    assert len(cancelled) == N == len(set(cancelled))  # each return decided and applied once
    assert dict(tasks) == {"completed": N}

    # bounded: the run's history does not grow with the returns (a signal a page of 1,000),
    # the returns' workflow continues as new, each of its runs bounded by its decisions
    assert len(parent.events) < 300, len(parent.events)
    sizes = [len(h.events) for h in chain]
    assert len(chain) >= N // DECISIONS_PER_RUN, sizes
    idle = [_idle_workflow_tasks(h) for h in chain]
    assert max(s - 3 * i for s, i in zip(sizes, idle, strict=True)) < 12 * DECISIONS_PER_RUN, (
        sizes,
        idle,
    )
