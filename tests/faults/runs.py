"""Small payment runs for the fault suite: a few obligations seeded into the ledger, the run
started and gathered, released by finance, its returns cancelled with a reason; each step
retried while a fault (a dead worker, a restarting server) keeps it from answering."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select
from stdnum import luhn
from temporalio.client import Client, WorkflowExecutionStatus

from activities.ledger import end_to_end_id
from db.models import Payment, PaymentRun, Task
from domain.calendar import AGENCY_TZ
from payloads.payments import PaymentRunInput
from payloads.tasks import CompleteTaskInput
from tests.faults.stack import CLOSED, REGION
from workflows import ids
from workflows.payment_run import PaymentRunWorkflow

CANCEL_REASON = "fault suite: the claimant's account is closed"
RETRY = 0.5  # seconds between attempts while a fault lasts


def seed_obligations(
    engine: Engine, run_tag: str, payments: int, closed: int, rng: random.Random,
    region: str = REGION,
) -> list[str]:  # fmt: skip
    """`payments` pending obligations of `region`, one or two months of a few cases, the
    first `closed` of them to the account the bank has closed; their end-to-end IDs."""
    today = datetime.now(AGENCY_TZ).date()
    rows, e2e = [], []
    for i in range(payments):
        case_id, month = f"{run_tag}C{i // 2}", 1 + i % 2
        body = f"62{rng.randrange(10**15):015d}"
        account = CLOSED if i < closed else body + luhn.calc_check_digit(body)
        e = end_to_end_id(case_id, month, "benefit", 1)
        e2e.append(e)
        now = datetime.now(UTC)
        rows.append(
            {
                "case_id": case_id, "region_code": region, "month": month,
                "period_start": today, "period_end": today, "category": "benefit",
                "amount": Decimal(rng.randrange(50_000, 200_000)) / 100, "status": "pending",
                "attempt": 1, "end_to_end_id": e, "bank_code": "102100099996",
                "account_number": account, "account_name": "刘测试",
                "created_at": now, "updated_at": now,
            }
        )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Payment.__table__), rows)  # type: ignore[attr-defined]
    return e2e


def run_row(engine: Engine, run_id: str) -> PaymentRun | None:
    with Session(engine) as session:
        return session.get(PaymentRun, run_id)


async def start_gathered(
    client: Client, engine: Engine, task_queue: str, run_id: str, region: str = REGION,
    cutoff: date | None = None,
) -> None:  # fmt: skip
    """Start the run and wait until it has gathered (its ledger row says so): the next run's
    obligations are seeded only then, so each run takes its own. `cutoff` (default today):
    the obligations owed up to it (a later month's medical premiums: tests/faults/medical)."""
    today = cutoff or datetime.now(AGENCY_TZ).date()
    while True:
        try:
            await client.start_workflow(
                PaymentRunWorkflow.run,
                PaymentRunInput(run_id=run_id, region_code=region, cutoff=today),
                id=ids.payment_run(run_id),
                task_queue=task_queue,
            )
            break
        except Exception as err:  # noqa: BLE001 (a restarting server: try again)
            if "already" in str(err).lower():
                break
            await asyncio.sleep(RETRY)
    while (row := run_row(engine, run_id)) is None or row.status == "gathering":
        await asyncio.sleep(0.05)


async def complete(
    client: Client, engine: Engine, workflow_id: str, inp: CompleteTaskInput, timeout: float
) -> bool:
    """Complete a task through its workflow's Update (the run's, or its returns' workflow's),
    retried through faults; False if it is refused for good (decided already) or `timeout`
    passes."""
    handle = client.get_workflow_handle(workflow_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            await asyncio.wait_for(
                handle.execute_update(PaymentRunWorkflow.complete_task, inp), timeout=20
            )
            return True
        except Exception as err:  # noqa: BLE001
            text = str(err).lower()
            if _task_completed(engine, inp.task_id):  # applied, its answer lost (a restart)
                return True
            if "completed" in text or "decided" in text or "not open" in text:
                return False
            await asyncio.sleep(RETRY)
    return False


async def release(client: Client, engine: Engine, run_id: str, timeout: float = 300) -> bool:
    """finance releases the run once its release task is in the worklist."""
    task_id = f"payment_run_release-{run_id}"
    while not _task_exists(engine, task_id):
        await asyncio.sleep(0.1)
    inp = CompleteTaskInput(
        task_id=task_id, outcome="release", actor="finance", actor_roles=["finance"]
    )
    return await complete(client, engine, ids.payment_run(run_id), inp, timeout)


def _task_exists(engine: Engine, task_id: str) -> bool:
    with Session(engine) as session:
        return session.get(Task, task_id) is not None


def _task_completed(engine: Engine, task_id: str) -> bool:
    with Session(engine) as session:
        task = session.get(Task, task_id)
        return task is not None and task.status == "completed"


async def cancel_returns(client: Client, engine: Engine, run_ids: set[str]) -> int:
    """finance cancels every open payment_returned task of these runs with a reason; how
    many it cancelled."""
    with Session(engine) as session:
        tasks = session.exec(
            select(Task).where(Task.kind == "payment_returned", col(Task.status) == "open")
        ).all()
    done = 0
    for task in tasks:
        run_id = ids.run_id_of(task.workflow_id)
        if run_id not in run_ids:
            continue
        inp = CompleteTaskInput(
            task_id=task.task_id, outcome="cancel", actor="finance", actor_roles=["finance"],
            reason=CANCEL_REASON,
        )  # fmt: skip
        done += await complete(client, engine, task.workflow_id, inp, timeout=30)
    return done


async def settle_all(
    client: Client, engine: Engine, run_ids: set[str], timeout: float
) -> list[str]:
    """Cancel returns as they open until every run has completed; the runs that did not
    (stuck) when `timeout` passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    waiting = set(run_ids)
    while waiting and loop.time() < deadline:
        await cancel_returns(client, engine, waiting)
        for run_id in sorted(waiting):
            try:
                described = await client.get_workflow_handle(ids.payment_run(run_id)).describe()
            except Exception:  # noqa: BLE001 (the server restarting)
                break
            if described.status == WorkflowExecutionStatus.COMPLETED:
                waiting.discard(run_id)
            elif described.status != WorkflowExecutionStatus.RUNNING:
                return sorted(waiting)  # failed or terminated: stuck for good
        await asyncio.sleep(0.3)
    return sorted(waiting)
