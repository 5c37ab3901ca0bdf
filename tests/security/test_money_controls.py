"""Money controls (issue 13 §4) on the real worker and the time-skipping server: a returned
payment re-issued to another payee is marked with who changed it, and a run holding any such
payment waits for a second, different person's approval whatever its total; a payment run is
started once (a finished run ID is never started again).

The obligations here are owed for January 2019 and gathered with that cutoff, so no other
test's obligations join these runs."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.ledger import end_to_end_id
from activities.payments import PaymentActivities
from activities.starts import WorkflowStartActivities
from core.settings import Settings
from db.models import Payment, Task
from payloads.payments import PaymentRunInput, ReissueInput
from payloads.tasks import CompleteTaskInput
from policy import PolicyBook
from tests.utils.api import login
from workflows import ids
from workflows.claim import ClaimWorkflow
from workflows.medical_declaration import MedicalDeclarationWorkflow
from workflows.payment_run import PaymentRunWorkflow
from workflows.reconciliation import ReconciliationWorkflow

REGION = "330100"
OWED = date(2019, 1, 2)  # long before any other test's obligations (policy from 2019)


def _returned(engine: Engine, case_id: str, account: str) -> str:
    """A returned obligation of REGION (no case workflow: telling it is skipped); its ID."""
    e2e = end_to_end_id(case_id, 1, "benefit", 1)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Payment.__table__),  # type: ignore[attr-defined]
            [
                {
                    "case_id": case_id,
                    "region_code": REGION,
                    "month": 1,
                    "period_start": OWED,
                    "period_end": OWED,
                    "category": "benefit",
                    "amount": Decimal("100.00"),  # far under the approval threshold
                    "status": "returned",
                    "attempt": 1,
                    "end_to_end_id": e2e,
                    "run_id": f"old-{case_id}",
                    "bank_code": "102100099996",
                    "account_number": account,
                    "account_name": "刘测试",
                    "returned_reason": "AC04",
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
    return e2e


async def _task(engine: Engine, workflow_id: str, kind: str) -> Task:
    for _ in range(1200):  # a generous bound for a loaded machine, not a timing check
        with Session(engine) as session:
            row = session.exec(
                select(Task).where(Task.kind == kind, Task.workflow_id == workflow_id)
            ).first()
        if row is not None:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind} task for {workflow_id}")


def _activities(engine: Engine, settings: Settings, book: PolicyBook) -> PaymentActivities:
    return PaymentActivities(engine, settings, book, tell_case=ClaimWorkflow.payment_update)


async def test_a_reissue_to_a_new_payee_needs_a_second_person_whatever_the_total(
    env: WorkflowEnvironment,
    worker: Worker,
    engine: Engine,
    settings: Settings,
    book: PolicyBook,
    task_queue: str,
) -> None:
    acts = _activities(engine, settings, book)
    tag = uuid.uuid4().hex[:8]
    moved = _returned(engine, f"mc{tag}a", "6222020200998877665")
    same = _returned(engine, f"mc{tag}b", "6222020200112233446")
    at = datetime.now(UTC)
    new_account = "6222020200556677882"
    run_env = ActivityEnvironment()
    run_env.run(
        acts.reissue_or_cancel,
        ReissueInput(moved, at, "finance", "102100099996", new_account, "刘测试"),
    )
    run_env.run(  # the same account again (the bank's return was temporary): no new payee
        acts.reissue_or_cancel,
        ReissueInput(same, at, "finance", "102100099996", "6222020200112233446"),
    )
    with Session(engine) as session:
        rows = {
            p.case_id: p
            for p in session.exec(
                select(Payment).where(col(Payment.case_id).in_([f"mc{tag}a", f"mc{tag}b"]))
            )
        }
    assert rows[f"mc{tag}a"].payee_changed_by == "finance"
    assert rows[f"mc{tag}a"].account_number == new_account
    assert rows[f"mc{tag}b"].payee_changed_by is None

    run_id = f"R{REGION}-mc-{tag}"
    run = await env.client.start_workflow(
        PaymentRunWorkflow.run,
        PaymentRunInput(run_id=run_id, region_code=REGION, cutoff=OWED),
        id=ids.payment_run(run_id),
        task_queue=task_queue,
    )
    try:
        release = await _task(engine, run.id, "payment_run_release")
        assert release.details["total"] == "200.00"  # under every policy's threshold
        await run.execute_update(
            PaymentRunWorkflow.complete_task,
            CompleteTaskInput(
                task_id=release.task_id, outcome="release", actor="finance", actor_roles=["finance"]
            ),
        )
        approval = await _task(engine, run.id, "payment_run_approval")
        assert approval.details["changed_payees"] == 1
        with pytest.raises(WorkflowUpdateFailedError):  # not the releaser's own approval
            await run.execute_update(
                PaymentRunWorkflow.complete_task,
                CompleteTaskInput(
                    task_id=approval.task_id,
                    outcome="approve",
                    actor="finance",
                    actor_roles=["finance"],
                ),
            )
        await run.execute_update(
            PaymentRunWorkflow.complete_task,
            CompleteTaskInput(
                task_id=approval.task_id,
                outcome="approve",
                actor="finance2",
                actor_roles=["finance"],
            ),
        )
    finally:  # no bank behind this test: the run would retry its submission for ever
        await run.terminate("test over")


async def test_who_changed_a_payee_never_approves_the_run_even_released_by_another(
    env: WorkflowEnvironment,
    worker: Worker,
    engine: Engine,
    settings: Settings,
    book: PolicyBook,
    task_queue: str,
) -> None:
    """Four eyes per payee change: finance2 re-issues a return to a new account, finance
    releases the run; finance2 (not the releaser) still may not approve it: a third does."""
    acts = _activities(engine, settings, book)
    tag = uuid.uuid4().hex[:8]
    moved = _returned(engine, f"mp{tag}a", "6222020200998877665")
    ActivityEnvironment().run(
        acts.reissue_or_cancel,
        ReissueInput(
            moved, datetime.now(UTC), "finance2", "102100099996", "6222020200556677882", "刘测试"
        ),
    )
    run_id = f"R{REGION}-mp-{tag}"
    run = await env.client.start_workflow(
        PaymentRunWorkflow.run,
        PaymentRunInput(run_id=run_id, region_code=REGION, cutoff=OWED),
        id=ids.payment_run(run_id),
        task_queue=task_queue,
    )

    def done(task_id: str, actor: str, outcome: str) -> CompleteTaskInput:
        return CompleteTaskInput(
            task_id=task_id, outcome=outcome, actor=actor, actor_roles=["finance"]
        )

    try:
        release = await _task(engine, run.id, "payment_run_release")
        await run.execute_update(
            PaymentRunWorkflow.complete_task, done(release.task_id, "finance", "release")
        )
        approval = await _task(engine, run.id, "payment_run_approval")
        assert approval.details["payees_changed_by"] == "finance2"
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await run.execute_update(
                PaymentRunWorkflow.complete_task, done(approval.task_id, "finance2", "approve")
            )
        assert "changed a payee" in str(refused.value.cause)
        await run.execute_update(
            PaymentRunWorkflow.complete_task, done(approval.task_id, "finance3", "approve")
        )
        assert (await run.query(PaymentRunWorkflow.state)).approved_by == "finance3"
    finally:  # no bank behind this test: the run would retry its submission for ever
        await run.terminate("test over")


async def test_a_payment_run_is_started_once(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """A finished run's ID is refused by the start (ID reuse policy REJECT_DUPLICATE): its
    obligations are never gathered, released and paid by a second execution."""
    starts = WorkflowStartActivities(
        env.client,
        task_queue,
        payment_run=PaymentRunWorkflow.run,
        day_reconciliation=ReconciliationWorkflow.run,
        medical_declaration=MedicalDeclarationWorkflow.run,
    )
    run_id = f"R{REGION}-once-{uuid.uuid4().hex[:8]}"
    inp = PaymentRunInput(run_id=run_id, region_code=REGION, cutoff=date(2019, 1, 1))
    first = await ActivityEnvironment().run(starts.start_payment_run, inp)
    assert not first.already
    handle = env.client.get_workflow_handle(ids.payment_run(run_id))
    assert (await handle.result())["status"] == "empty"  # nothing owed that early (untyped handle)
    finished = (await handle.describe()).run_id
    again = await ActivityEnvironment().run(starts.start_payment_run, inp)
    assert again.already
    assert (await handle.describe()).run_id == finished  # no second execution


async def test_a_started_or_finished_run_answers_409(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """POST /api/v1/payment-runs starts a region's run of a payout day once: again, while it
    runs or after it finished, is a 409; only finance of the region start one."""
    finance, clerk = await login(api, "finance"), await login(api, "clerk")
    body = {"region_code": REGION, "day": "2019-01-01"}  # nothing owed that early: "empty"
    assert (await api.post("/api/v1/payment-runs", json=body, headers=clerk)).status_code == 403
    first = await api.post("/api/v1/payment-runs", json=body, headers=finance)
    assert first.status_code == 202, first.text
    run_id = first.json()["run_id"]
    assert run_id == f"R{REGION}-20190101"
    handle = env.client.get_workflow_handle(first.json()["workflow_id"])
    assert (await handle.result())["status"] == "empty"
    again = await api.post("/api/v1/payment-runs", json=body, headers=finance)
    assert again.status_code == 409 and run_id in again.json()["detail"], again.text
    future = await api.post(
        "/api/v1/payment-runs", json={**body, "day": "2999-01-01"}, headers=finance
    )
    assert future.status_code == 422 and future.json()["detail"][0]["loc"] == ["body", "day"]
