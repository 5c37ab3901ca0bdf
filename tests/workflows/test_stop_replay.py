"""A stop-event case replays (ARCHITECTURE.md "Long-running workflows"): a refused offer
confirmed (the warning), a month boundary (continue-as-new with a refusal on the record),
then a death reported late with two dependents, the grants approved, the case closed. Its
histories, recorded with RECORD_HISTORIES=1, are tests/histories/claim/stop_event_*.json and
replay with the others in tests/workflows/test_replay.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from payloads.stops import EventData, StopEventInput
from payloads.submissions import BankAccount
from payloads.tasks import CompleteTaskInput
from tests.utils.temporal import advance, state_when, today
from tests.workflows.test_replay import HISTORIES, _approved, _keep, _replayer
from workflows.claim import ClaimWorkflow

REVIEWER: dict[str, Any] = {"actor": "reviewer", "actor_roles": ["reviewer"]}


async def _decide(h: WorkflowHandle[Any, Any], kind: str, outcome: str) -> None:
    s = await state_when(
        h, lambda s: any(t.kind == kind and t.completion is None for t in s.tasks.values())
    )
    task = next(t for t in s.tasks.values() if t.kind == kind and t.completion is None)
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(task_id=task.task_id, outcome=outcome, reason="seen", **REVIEWER),
    )


def test_the_stop_history_is_recorded() -> None:
    assert (HISTORIES / "stop_event_died.json").exists()
    assert (HISTORIES / "stop_event_refusal.json").exists()


async def test_stop_event_history_replays(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    h = await _approved(env, task_queue, "s1")
    s = await state_when(h, lambda s: s.benefit is not None)
    assert s.benefit is not None
    months = s.benefit.months
    await h.execute_update(
        ClaimWorkflow.report_event,
        StopEventInput(
            type="refused_offer",
            effective_date=await today(env),
            data=EventData(evidence="介绍信 7"),
            actor="clerk",
        ),
    )
    await _decide(h, "refused_offer_review", "confirm")
    first_run = (await h.describe()).run_id
    await advance(env, (months[1].start - await today(env)).days + 3)
    latest = env.client.get_workflow_handle(h.id)
    await state_when(latest, lambda s: s.benefit is not None and s.benefit.current == 2)
    died = months[0].start + timedelta(days=20)
    await latest.execute_update(
        ClaimWorkflow.report_event,
        StopEventInput(
            type="died",
            effective_date=died,
            data=EventData(
                evidence="死亡证明 9",
                dependents=2,
                survivor_account=BankAccount(
                    bank_code="ICBC", account_number="6222020200880000019", account_name="刘家属"
                ),
            ),
            actor="clerk",
        ),
    )
    await _decide(latest, "death_grants_review", "approve")
    s = await state_when(latest, lambda s: s.status == "stopped")
    assert s.closure_reason == "died"
    await latest.result()
    await _replayer().replay_workflow(await _keep("stop_event_died", latest))
    first = env.client.get_workflow_handle(h.id, run_id=first_run)  # the refusal's run
    await _replayer().replay_workflow(await _keep("stop_event_refusal", first))
