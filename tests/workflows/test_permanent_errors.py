"""A permanent activity failure (no policy for the date, a constraint the database refuses, a
bank that refuses the message) is raised once, non-retryable and typed, and becomes a task for
the group that can fix its cause, carrying the error; the workflow waits for them instead of
retrying forever, and goes on once they have (issue 9 §5). On the time-skipping server."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select
from temporalio.client import WorkflowExecutionStatus, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from db.models import Payment, Task
from payloads.case_io import CheckInInput
from payloads.errors import BANK_REJECTED, CONSTRAINT_VIOLATION, NO_POLICY
from payloads.tasks import CompleteTaskInput
from tests.utils import factories as f
from tests.utils.temporal import advance, eventually, signal_case, state_when, today
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import (
    Stack,
    _checked_in_case,
    _payments,
    _start_released_run,
    _task_id,
    state_when_run,
)
from workflows.claim import ClaimWorkflow
from workflows.payment_run import PaymentRunWorkflow

stack = test_payment_run.stack
SUPERVISOR: dict[str, Any] = {"actor": "supervisor", "actor_roles": ["supervisor"]}
LOCAL = "core_local_activity"  # the marker a local activity's result is recorded by


def _open_tasks(engine: Engine, case_id: str, kind: str) -> list[Task]:
    with Session(engine) as session:
        stmt = select(Task).where(Task.case_id == case_id, Task.kind == kind, Task.status == "open")
        return list(session.exec(stmt).all())


def _attempts(history: WorkflowHistory, activity: str) -> list[int]:
    """The attempt numbers with which `activity` ran: its activity tasks started, or, run as
    a local activity (a benefit month's steps, `month-local-steps`), its markers."""
    scheduled: dict[int, str] = {}
    out = []
    for e in history.events:
        if e.HasField("activity_task_scheduled_event_attributes"):
            scheduled[e.event_id] = e.activity_task_scheduled_event_attributes.activity_type.name
        if e.HasField("activity_task_started_event_attributes"):
            a = e.activity_task_started_event_attributes
            if scheduled.get(a.scheduled_event_id) == activity:
                out.append(a.attempt)
        marker = e.marker_recorded_event_attributes
        if e.HasField("marker_recorded_event_attributes") and marker.marker_name == LOCAL:
            data = json.loads(marker.details["data"].payloads[0].data)
            if data["activity_type"] == activity:
                out.append(data["attempt"])
    return out


async def test_no_policy_for_the_separation_date_is_a_supervisors_task_not_endless_retries(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """The door refuses a separation date no policy covers (api/services/intake.py); a case
    that reaches the workflow anyway (here: signalled directly) asks once, gets `NoPolicy`,
    and a supervisor gets a `system_error` task naming it. Retried by them: asked again."""
    nid = f.national_id()
    case_id = "pe1" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.employer_report(nid, date(2018, 6, 1)))
    task = await eventually(lambda: _open_tasks(engine, case_id, "system_error"), timeout=90)
    assert task[0].group == "supervisor"
    assert task[0].details["error_type"] == NO_POLICY
    assert "no policy before 2019-01-01" in str(task[0].details["error"])
    assert task[0].details["activity"] == "case_policy"
    assert (await h.describe()).status == WorkflowExecutionStatus.RUNNING
    assert _attempts(await h.fetch_history(), "case_policy") == [1]  # not retried
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(task_id=task[0].task_id, outcome="retry", reason="asked", **SUPERVISOR),
    )
    again = await eventually(
        lambda: [t for t in _open_tasks(engine, case_id, "system_error") if t != task[0]]
    )
    assert again[0].task_id != task[0].task_id
    assert _attempts(await h.fetch_history(), "case_policy") == [1, 1]


async def test_an_obligation_the_ledger_refuses_waits_for_a_supervisor_then_is_owed(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """A month's obligation collides with a ledger row holding its end-to-end ID (a unique
    constraint): `ConstraintViolation` once, a `system_error` task, no retry storm; once the
    row is corrected and the supervisor retries, the month is owed."""
    nid, sep = f.national_id(), await today(env)
    case_id = "pe2" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s = await state_when(h, lambda s: any(t.kind == "review_claim" for t in s.tasks.values()))
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=next(iter(s.tasks)),
            outcome="approve",
            actor="reviewer",
            actor_roles=["reviewer"],
        ),
    )
    s = await state_when(h, lambda s: s.benefit is not None)
    assert s.benefit is not None
    month = s.benefit.months[1]  # month 1 is owed on approval (the registration's check-in)
    e2e = f"{case_id}-002-BE-1"
    intruder = "x" + case_id
    at = await env.get_current_time()
    with Session(engine) as session:  # someone else's row under this case's ID
        session.add(
            Payment(
                case_id=intruder,
                region_code="220100",
                month=2,
                period_start=month.start,
                period_end=month.end,
                category="benefit",
                amount=Decimal("1.00"),
                end_to_end_id=e2e,
                created_at=at,
                updated_at=at,
            )
        )
        session.commit()
    await advance(env, (month.start - await today(env)).days + 1)
    latest = env.client.get_workflow_handle(h.id)
    await state_when(latest, lambda s: s.benefit is not None and s.benefit.current == 2)
    await latest.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    await advance(env, (month.end - await today(env)).days + 1)
    task = await eventually(lambda: _open_tasks(engine, case_id, "system_error"), timeout=90)
    assert task[0].details["error_type"] == CONSTRAINT_VIOLATION
    assert task[0].details["activity"] == "owe_obligation"  # month-owed-as-ledger
    assert _attempts(await latest.fetch_history(), "owe_obligation") == [1]
    with Session(engine) as session:
        session.execute(delete(Payment).where(col(Payment.case_id) == intruder))
        session.commit()
    await latest.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=task[0].task_id, outcome="retry", reason="row removed", **SUPERVISOR
        ),
    )
    await state_when(latest, lambda s: s.benefit is not None and s.benefit.current == 3)
    with Session(engine) as session:
        owed = session.exec(select(Payment).where(Payment.end_to_end_id == e2e)).one()
    assert (owed.case_id, owed.amount) == (case_id, Decimal("755.00"))


async def test_a_message_the_bank_refuses_is_finances_task_then_resubmitted(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    """The bank answers 400 to the run's pain.001: `BankRejected` once (no backoff for six
    hours), a `bank_rejected` task for finance with the bank's answer; once the bank takes it
    again, finance resubmits and the run completes."""
    async with httpx.AsyncClient() as http:
        await http.post(f"{stack.bank_url}/admin/mode", json={"refuse": "debtor account frozen"})
        async with stack.worker():
            case_id = await _checked_in_case(env, task_queue, "6222020200112233446")
            run_id, run = await _start_released_run(env, engine, task_queue, case_id)
            task_id = await _task_id(engine, run_id, "bank_rejected")
            with Session(engine) as session:
                task = session.get(Task, task_id)
            assert task is not None and task.group == "finance"
            assert task.details["error_type"] == BANK_REJECTED
            assert "debtor account frozen" in str(task.details["error"])
            assert _attempts(await run.fetch_history(), "submit_run") == [1]
            assert _payments(engine, [case_id])[0].status == "pending"
            await http.post(f"{stack.bank_url}/admin/mode", json={"refuse": ""})
            await run.execute_update(
                PaymentRunWorkflow.complete_task,
                CompleteTaskInput(
                    task_id=task_id, outcome="resubmit", actor="finance", actor_roles=["finance"]
                ),
            )
            await state_when_run(engine, run, lambda st: st.status == "submitted")
            await advance(env, 0.1)
            await state_when_run(engine, run, lambda st: st.status == "completed")
    assert _payments(engine, [case_id])[0].status == "settled"
