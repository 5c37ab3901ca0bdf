"""Payment runs against the simulated bank over real HTTP, with our webhook served over real
HTTP too, on the time-skipping server (DOMAIN.md "Money"; ARCHITECTURE.md "Money and the
bank"): release, four eyes, pain.001 once, statuses by signed webhook, a returned payment
re-issued."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, insert
from sqlmodel import Session, col, select
from stdnum import luhn
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.ledger import end_to_end_id
from activities.payments import PaymentActivities
from activities.reconciliation import ReconciliationActivities
from api.main import create_app
from bank.config import BankConfig
from bank.testing import serve_bank
from core.serving import base_url, bound_socket, serving_here
from core.settings import Settings
from db.models import (
    AuditEntry,
    BankStatusReport,
    Payment,
    PaymentRun,
    ReconciliationRecord,
    Task,
)
from domain.calendar import AGENCY_TZ
from iso20022.bank_signature import signed_headers
from iso20022.pain002 import StatusReport, TransactionStatus, build_pain002
from iso20022.signing import sign
from payloads.case_io import CheckInInput
from payloads.errors import BANK_UNVERIFIED
from payloads.payments import (
    ApplyInput,
    GatherInput,
    PaymentRunInput,
    RunInput,
    StatusReportRef,
    StatusUpdate,
)
from payloads.reconciliation import ReconcileDayInput, ReconcileInput
from payloads.tasks import CompleteTaskInput
from policy import PolicyBook
from tests.conftest import ROOT
from tests.utils import factories as f
from tests.utils.temporal import (
    CONVERTER,
    advance,
    local_activity_of,
    opened,
    signal_case,
    state_when,
    today,
)
from tests.utils.worker_process import DEAD_POLLS_EXPIRE, no_activity_in_flight, worker_process
from worker import create_worker
from workflows import ids
from workflows.claim import ClaimWorkflow
from workflows.payment_returns import PaymentReturnsWorkflow
from workflows.payment_run import PaymentRunWorkflow
from workflows.reconciliation import ReconciliationWorkflow

SECRET = "test-webhook-secret"
HISTORIES = ROOT / "tests" / "histories" / "payment_run"  # apart: test_replay.py has ClaimWorkflow
REGION = "220200"  # no other test owes money there: the run gathers only this test's
CLOSED = "6222020200998877665"  # a closed account at the bank: returned with AC04
MAX_BYTES = 8 * 1024 * 1024  # the webhook's body cap here (a report on 3,000 is ~1.5 MB)


@dataclass
class Stack:
    bank_url: str
    api_url: str
    settings: Settings
    worker: Callable[..., Worker]


@pytest.fixture
async def stack(
    env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    book: PolicyBook,
    task_queue: str,
    tmp_path: Path,
) -> AsyncIterator[Stack]:
    """Our API (for the webhook) and worker, and the bank on the test server's clock."""
    target = env.client.service_client.config.target_host
    sock = bound_socket()  # ours, before the bank is told where to call us
    ours = settings.model_copy(
        update={
            "task_queue": task_queue,
            "temporal_address": target,
            "bank_webhook_secret": SECRET,
            "bank_message_max_bytes": MAX_BYTES,
            "bank_booking_hours": 1,  # the bank's settle_hours below: polls when it can book
        }
    )
    config = BankConfig(
        db_path=tmp_path / "bank.db",
        webhook_url=f"{base_url(sock)}/api/v1/bank/webhook",
        webhook_secret=SECRET,
        settle_hours=1,
        clock=f"temporal:{target}",
        closed_accounts=frozenset({CLOSED}),
        tick_seconds=0.05,
    )
    with serve_bank(config) as bank:
        ours = ours.model_copy(update={"bank_url": bank.url})

        def new_worker(cache: int = 1000, **changed: Any) -> Worker:
            """A worker on the stack's settings (`changed`: a test's own, e.g. a bank that
            books later than it settles)."""
            return create_worker(
                env.client,
                settings=ours.model_copy(update=changed) if changed else ours,
                engine=engine,
                book=book,
                task_queue=task_queue,
                fail_fast=True,
                max_cached_workflows=cache,
            )

        async with serving_here(create_app(ours), sock) as api_url:
            yield Stack(bank.url, api_url, ours, new_worker)


def _replayer() -> Replayer:
    return Replayer(workflows=[PaymentRunWorkflow], data_converter=CONVERTER)


async def _keep(name: str, handle: WorkflowHandle[Any, Any]) -> WorkflowHistory:
    """The run's history; `RECORD_HISTORIES=1` saves it for the replay test below."""
    history = await handle.fetch_history()
    if os.environ.get("RECORD_HISTORIES"):
        HISTORIES.mkdir(parents=True, exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())
    return history


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_recorded_payment_run_history_replays_on_current_code(path: Path) -> None:
    """Runs recorded on earlier code (a full run with a return re-issued; one without a
    return, ended by returns_awaiting_decision and set_run_status before `complete-at-once`;
    settled by one poll before `run-local-steps`) and on this code (`*_local_steps`: the
    ledger's and worklist's short steps as local activities) replay unchanged."""
    await _replayer().replay_workflow(WorkflowHistory.from_json("recorded", path.read_text()))


async def _checked_in_case(env: WorkflowEnvironment, task_queue: str, account: str) -> str:
    nid, sep = f.national_id(), await today(env)
    case_id = "pr" + nid[-8:]
    acct = f.BankAccount("ICBC", account, "刘测试")
    report = f.employer_report(nid, sep, region_code=REGION)
    h = await signal_case(env.client, task_queue, case_id, report)
    reg = f.registration(nid, sep, bank_account=acct, region_code=REGION)
    await signal_case(env.client, task_queue, case_id, reg)
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
    latest = env.client.get_workflow_handle(h.id)
    await state_when(latest, lambda s: s.benefit is not None)
    await latest.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    await state_when(latest, lambda s: s.benefit is not None and s.benefit.months[0].owed)
    return case_id


def _returns_of(env: WorkflowEnvironment, run_id: str) -> WorkflowHandle[Any, Any]:
    """The run's returns' workflow (workflows/payment_returns.py): their tasks' owner."""
    return env.client.get_workflow_handle(ids.payment_returns(run_id))


def _payments(engine: Engine, case_ids: list[str]) -> list[Payment]:
    with Session(engine) as session:
        stmt = select(Payment).where(col(Payment.case_id).in_(case_ids))
        return list(session.exec(stmt.order_by(col(Payment.case_id))).all())


async def _task_id_of(engine: Engine, workflow_id: str, kind: str) -> str:
    for _ in range(1200):  # a generous bound for a loaded machine, not a timing check
        with Session(engine) as session:
            stmt = select(Task).where(Task.kind == kind, Task.workflow_id == workflow_id)
            row = session.exec(stmt).first()
            if row is not None:
                return row.task_id
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind} task for {workflow_id}")


async def _task_id(engine: Engine, run_id: str, kind: str) -> str:
    for _ in range(1200):  # a generous bound for a loaded machine, not a timing check
        with Session(engine) as session:
            owners = [ids.payment_run(run_id), ids.payment_returns(run_id)]
            row = session.exec(
                select(Task).where(Task.kind == kind, col(Task.workflow_id).in_(owners))
            ).first()
            if row is not None:
                return row.task_id
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind} task for {run_id}")


async def test_run_released_submitted_once_settled_by_webhook_and_a_return_reissued(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str, book: PolicyBook
) -> None:
    async with stack.worker():
        await _released_run_settles_and_return_is_reissued(env, stack, engine, task_queue, book)


async def _released_run_settles_and_return_is_reissued(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str, book: PolicyBook
) -> None:
    # Start at 10:00 China time (the midnight crossing has its own test below).
    now = (await env.get_current_time()).astimezone(AGENCY_TZ)
    ten = now.replace(hour=10, minute=0, second=0, microsecond=0)
    await advance(
        env, ((ten if ten > now else ten + timedelta(days=1)) - now).total_seconds() / 86400
    )
    good = await _checked_in_case(env, task_queue, "6222020200112233446")
    bad = await _checked_in_case(env, task_queue, CLOSED)
    run_id = f"R{REGION}-{(await today(env)):%Y%m%d}-{good[-4:]}"
    run = await env.client.start_workflow(
        PaymentRunWorkflow.run,
        PaymentRunInput(run_id=run_id, region_code=REGION, cutoff=await today(env)),
        id=ids.payment_run(run_id),
        task_queue=task_queue,
    )
    release = await _task_id(engine, run_id, "payment_run_release")
    await run.execute_update(
        PaymentRunWorkflow.complete_task,
        CompleteTaskInput(
            task_id=release, outcome="release", actor="finance", actor_roles=["finance"]
        ),
    )
    await state_when_run(engine, run, lambda st: st.status == "submitted")
    await _replayer().replay_workflow(await _keep("submitted_awaiting_status_local_steps", run))
    rows = _payments(engine, [good, bad])
    assert {p.status for p in rows} == {"sent"} and len(rows) == 2
    # a crash after submission: the same message again is a duplicate at the bank
    again = await ActivityEnvironment().run(
        PaymentActivities(
            engine, stack.settings, book, tell_case=ClaimWorkflow.payment_update
        ).submit_run,
        RunInput(run_id, rows[0].updated_at),  # type: ignore[arg-type]
    )
    assert (again.sent, again.outstanding) == (2, 2)
    # the first poll's moment, from the bank's first acceptance (the duplicate answer names
    # it) plus the booking lag, 24 h by default (workflows/bank_polls.py)
    sent_at = rows[0].updated_at
    assert sent_at is not None and again.booked_from is not None
    sent_at = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)
    # the stack's bank_booking_hours (1, its bank's settle_hours) after the acceptance
    assert timedelta(hours=1) <= again.booked_from - sent_at <= timedelta(hours=1, seconds=5)
    async with httpx.AsyncClient() as http:
        txs = (await http.get(f"{stack.bank_url}/admin/transactions")).json()
    assert len([t for t in (txs if isinstance(txs, list) else txs["transactions"])]) == 2

    await advance(env, 0.1)  # past the bank's settlement delay (1 hour)
    returned = await _task_id(engine, run_id, "payment_returned")
    paid = {p.case_id: p for p in _payments(engine, [good, bad])}
    assert paid[good].status == "settled" and paid[good].amount == Decimal("755.00")
    assert paid[bad].status == "returned" and paid[bad].returned_reason == "AC04"
    await _returns_of(env, run_id).execute_update(
        PaymentReturnsWorkflow.complete_task,
        CompleteTaskInput(
            task_id=returned,
            outcome="reissue",
            actor="finance",
            actor_roles=["finance"],
            data={"bank_account": {"bank_code": "ICBC", "account_number": "6222020200112233446"}},
        ),
    )
    st = await state_when_run(engine, run, lambda st: st.status == "completed")
    assert st.released_by == "finance"
    await run.result()  # the row is written inside the run's last workflow task: its end
    await _replayer().replay_workflow(await _keep("return_reissued_local_steps", run))
    reissued = _payments(engine, [bad])[0]
    assert reissued.status == "pending" and reissued.attempt == 2 and reissued.run_id is None
    assert reissued.end_to_end_id.endswith("-2")
    with Session(engine) as session:
        assert session.get(PaymentRun, run_id).status == "completed"  # type: ignore[union-attr]

    # 账账相符: the day's statement matches the ledger (a settlement, a return and reversal)
    day = paid[good].settled_on
    assert day is not None
    recon = await env.client.execute_workflow(
        ReconciliationWorkflow.run,
        ReconcileDayInput(day=day),
        id=f"reconcile-{day}-{run_id}",
        task_queue=task_queue,
    )
    assert recon == "reconciled"
    with Session(engine) as session:
        row = session.get(ReconciliationRecord, day)
        assert row is not None and row.mismatches == []
        assert row.paid_by_category == {"benefit": "755.00"}
        phantom = Payment(**{**paid[good].model_dump(exclude={"id"}), "case_id": "phantom"})
        phantom.end_to_end_id, phantom.month = "phantom-001-BE-1", 99
        session.add(phantom)
        session.commit()
    second = await env.client.start_workflow(
        ReconciliationWorkflow.run,
        ReconcileDayInput(day=day),
        id=f"reconcile-{day}-{run_id}-again",
        task_queue=task_queue,
    )
    mismatch = await _task_id_of(engine, second.id, "reconciliation_mismatch")
    assert "phantom-001-BE-1" in mismatch
    await second.execute_update(
        ReconciliationWorkflow.complete_task,
        CompleteTaskInput(
            task_id=mismatch,
            outcome="resolved",
            reason="test row",
            actor="finance",
            actor_roles=["finance"],
        ),
    )
    assert await second.result() == "resolved"
    with Session(engine) as session:
        session.delete(session.exec(select(Payment).where(Payment.case_id == "phantom")).one())
        session.commit()


async def test_webhook_refuses_bad_signature_malformed_xml_and_unknown_ids(
    env: WorkflowEnvironment, stack: Stack
) -> None:
    url = f"{stack.api_url}/api/v1/bank/webhook"
    now = await env.get_current_time()
    async with httpx.AsyncClient() as http:
        body = b"<Document/>"
        bad_sig = await http.post(url, content=body, headers={"X-Bank-Signature": "sha256=00"})
        assert bad_sig.status_code == 401
        # the old scheme (a MAC of the body alone, no timestamp) is no longer enough
        old = await http.post(url, content=body, headers={"X-Bank-Signature": sign(body, SECRET)})
        assert old.status_code == 401
        malformed = await http.post(url, content=body, headers=signed_headers(body, SECRET, now))
        assert malformed.status_code == 422 and "malformed" in malformed.text
        report = build_pain002(
            StatusReport(
                msg_id="BANK-1",
                created_at=datetime.now(UTC),
                original_msg_id="NO-SUCH-RUN",
                statuses=[TransactionStatus("x-001-BE-1", "ACSC")],
            )
        )
        unknown = await http.post(url, content=report, headers=signed_headers(report, SECRET, now))
        assert unknown.status_code == 422 and "unknown original message" in unknown.text


async def state_when_run(
    engine: Engine, h: WorkflowHandle[Any, Any], pred: Any, timeout: float = 60
) -> PaymentRun:
    """Poll the run's ledger row (not a query: the time-skipping server can hand a query a
    history cut inside an unfinished workflow task, which then fails to replay)."""
    run_id = ids.run_id_of(h.id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with Session(engine) as session:
            row = session.get(PaymentRun, run_id)
        if row is not None and pred(row):
            return row
        if loop.time() > deadline:
            raise AssertionError(f"run {run_id} state not reached: {row}")
        await asyncio.sleep(0.05)


async def _start_released_run(
    env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> tuple[str, WorkflowHandle[Any, Any]]:
    run_id = f"R{REGION}-{(await today(env)):%Y%m%d}-{case_id[-4:]}"
    run = await env.client.start_workflow(
        PaymentRunWorkflow.run,
        PaymentRunInput(run_id=run_id, region_code=REGION, cutoff=await today(env)),
        id=ids.payment_run(run_id),
        task_queue=task_queue,
    )
    release = await _task_id(engine, run_id, "payment_run_release")
    await run.execute_update(
        PaymentRunWorkflow.complete_task,
        CompleteTaskInput(
            task_id=release, outcome="release", actor="finance", actor_roles=["finance"]
        ),
    )
    # a run holding a payment re-issued to a changed payee (an earlier test's return) needs
    # a second person's approval whatever its total (issue 13 §4): gathered before the
    # release task opened, so the ledger knows now
    with Session(engine) as session:
        changed = session.exec(
            select(func.count())
            .select_from(Payment)
            .where(Payment.run_id == run_id, col(Payment.payee_changed_by).is_not(None))
        ).one()
    if changed:
        approval = await _task_id(engine, run_id, "payment_run_approval")
        await run.execute_update(
            PaymentRunWorkflow.complete_task,
            CompleteTaskInput(
                task_id=approval, outcome="approve", actor="finance2", actor_roles=["finance"]
            ),
        )
    return run_id, run


async def test_bank_down_retries_alerts_finance_past_the_limit_then_completes(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    """Submission retries with backoff; past the policy limit (4 h) finance gets a task; the
    run completes once the bank is back."""
    async with stack.worker():
        case_id = await _checked_in_case(env, task_queue, "6222020200112233446")
        async with httpx.AsyncClient() as http:
            await http.post(f"{stack.bank_url}/admin/mode", json={"down": True})
            run_id, run = await _start_released_run(env, engine, task_queue, case_id)
            await advance(env, 0.25)  # six hours of refusals
            alert = await _task_id(engine, run_id, "bank_unavailable")
            assert alert.startswith("bank_unavailable-")
            assert _payments(engine, [case_id])[0].status == "pending"
            await http.post(f"{stack.bank_url}/admin/mode", json={"down": False})
        await advance(env, 0.01)
        await state_when_run(engine, run, lambda st: st.status == "submitted")
        await advance(env, 0.1)
        await state_when_run(engine, run, lambda st: st.status == "completed")
    assert _payments(engine, [case_id])[0].status == "settled"


async def run_with_worker_killed(
    env: WorkflowEnvironment,
    stack: Stack,
    engine: Engine,
    task_queue: str,
    book: PolicyBook,
    case_id: str,
) -> str:
    """A released run of REGION paying the case, its worker process SIGKILLed after the
    submission and before any status (the bank holding them, then answering each twice); a
    new worker process finishes the run (its ID). See the test below for why the clock never
    moves after the kill."""
    mode = f"{stack.bank_url}/admin/mode"
    async with httpx.AsyncClient() as http:
        await http.post(mode, json={"answer_twice": True})
    first = worker_process(stack.settings, task_queue, env)
    try:
        run_id, run = await _start_released_run(env, engine, task_queue, case_id)
        await state_when_run(engine, run, lambda st: st.status == "submitted", timeout=60)
        async with httpx.AsyncClient() as http:
            await http.post(mode, json={"hold": True})  # nothing settles or is sent
        await advance(env, 0.1)  # past the bank's settlement time (1 h)
        # kill between activities (the calendars and the daily reconciliation are started by
        # that worker process): one it had started would hold the time-skipping lock
        await no_activity_in_flight(
            env,
            [
                run.id,
                ids.case(case_id),
                ids.DAILY_RECONCILIATION,
                ids.PAYOUT_CALENDAR,
                ids.MEDICAL_CALENDAR,
            ],
        )
        assert (await run.query(PaymentRunWorkflow.state)).status == "submitted"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    # the dead process's long polls expire (the SDK's 70 s) before the next tasks are handed out
    await asyncio.sleep(DEAD_POLLS_EXPIRE)
    second = worker_process(stack.settings, task_queue, env)
    try:
        async with httpx.AsyncClient() as http:
            await http.post(mode, json={"hold": False})  # the bank settles; its webhook signals
        await state_when_run(engine, run, lambda st: st.status == "completed", timeout=90)
    finally:
        second.terminate()
        second.wait(timeout=30)
    return run_id


async def test_worker_process_killed_mid_run_pays_every_obligation_once(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str, book: PolicyBook
) -> None:
    """SIGKILL the worker process after submission, before any status: a new process
    finishes the run and each obligation is paid exactly once, though the bank answers
    every status twice (issue: payments, reliability).

    The clock is never moved after the kill: the time-skipping server hands tasks to the dead
    process's long polls until their deadline, and an activity started so holds its
    time-skipping lock until the start-to-close timeout passes in real time (sleeps then time
    out). So the clock passes the settlement time first, the bank holding its statuses (it
    answers the daily reconciliation's statement meanwhile)."""
    async with stack.worker():
        case_id = await _checked_in_case(env, task_queue, "6222020200112233446")
    await run_with_worker_killed(env, stack, engine, task_queue, book, case_id)
    paid = _payments(engine, [case_id])
    assert [(p.status, p.attempt) for p in paid] == [("settled", 1)]
    async with httpx.AsyncClient() as http:
        txs = (await http.get(f"{stack.bank_url}/admin/transactions")).json()
    rows = txs if isinstance(txs, list) else txs["transactions"]
    assert len([t for t in rows if paid[0].end_to_end_id in str(t)]) == 1
    with Session(engine) as session:
        settled = session.exec(
            select(AuditEntry).where(
                AuditEntry.entity_id == case_id, AuditEntry.action == "payment_settled"
            )
        ).all()
    assert len(settled) == 1


def _seed_obligations(engine: Engine, prefix: str, n: int, on: date, closed: int) -> list[str]:
    """n pending obligations of REGION (no case workflows: telling them is skipped), the
    first `closed` of them to the account the bank has closed; their end-to-end IDs."""
    rows, e2e_ids = [], []
    for i in range(n):
        body = f"6222{i:014d}"
        account = CLOSED if i < closed else body + luhn.calc_check_digit(body)
        e2e = end_to_end_id(f"{prefix}{i:06d}", 1, "benefit", 1)
        e2e_ids.append(e2e)
        rows.append(
            {
                "case_id": f"{prefix}{i:06d}",
                "region_code": REGION,
                "month": 1,
                "period_start": on,
                "period_end": on,
                "category": "benefit",
                "amount": Decimal("100.00"),
                "status": "pending",
                "attempt": 1,
                "end_to_end_id": e2e,
                "bank_code": "102100099996",
                "account_number": account,
                "account_name": "刘测试",
                "created_at": datetime.now(UTC),
                "updated_at": datetime.now(UTC),
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Payment.__table__), rows)  # type: ignore[attr-defined]
    return e2e_ids


def _largest_activity_result(history: WorkflowHistory) -> tuple[str, int]:
    scheduled: dict[int, str] = {}
    largest = ("", 0)
    for e in history.events:
        if e.HasField("activity_task_scheduled_event_attributes"):
            scheduled[e.event_id] = e.activity_task_scheduled_event_attributes.activity_type.name
        if e.HasField("activity_task_completed_event_attributes"):
            done = e.activity_task_completed_event_attributes
            size = sum(len(opened(p)) for p in done.result.payloads)
            if size > largest[1]:
                largest = (scheduled[done.scheduled_event_id], size)
    return largest


def _largest_activity_input(history: WorkflowHistory) -> tuple[str, int]:
    largest = ("", 0)
    for e in history.events:
        if e.HasField("activity_task_scheduled_event_attributes"):
            a = e.activity_task_scheduled_event_attributes
            size = sum(len(opened(p)) for p in a.input.payloads)
            if size > largest[1]:
                largest = (a.activity_type.name, size)
    return largest


async def test_a_run_of_thousands_completes_with_small_activity_results(
    env: WorkflowEnvironment,
    stack: Stack,
    engine: Engine,
    task_queue: str,
) -> None:
    """A run of 3,000 payments: submission and statuses answer counts (and the returns by
    name), the ledger keeps the transactions, so no activity result grows with the run (the
    old list of end-to-end IDs would be ~100 KB here, past 2 MB at ~60,000 payments). The
    webhook's report on them all is kept by the API and reaches the run as a reference, so
    neither the signal nor any activity input grows with the run either."""
    n, closed = 3000, 2
    day = await today(env)
    prefix = f"many{task_queue[-6:]}"
    e2e_ids = _seed_obligations(engine, prefix, n, day, closed)
    async with stack.worker():
        run_id, run = await _start_released_run(env, engine, task_queue, prefix)
        await state_when_run(engine, run, lambda st: st.status == "submitted", timeout=120)
        await advance(env, 0.1)  # past the bank's settlement delay: one webhook for them all
        for e2e in e2e_ids[:closed]:
            returned = await _task_id(engine, run_id, "payment_returned")
            assert returned.startswith("payment_returned-")
            await _returns_of(env, run_id).execute_update(
                PaymentReturnsWorkflow.complete_task,
                CompleteTaskInput(
                    task_id=f"payment_returned-{e2e}",
                    outcome="cancel",
                    reason="account closed, claimant unreachable",
                    actor="finance",
                    actor_roles=["finance"],
                ),
            )
        await state_when_run(engine, run, lambda st: st.status == "completed", timeout=120)
        history = await run.fetch_history()
    await _replayer().replay_workflow(history)
    with Session(engine) as session:
        rows = session.exec(
            select(Payment.status, func.count())
            .where(col(Payment.end_to_end_id).in_(e2e_ids))
            .group_by(col(Payment.status))
        ).all()
    assert dict(rows) == {"settled": n - closed, "cancelled": closed}
    activity, size = _largest_activity_result(history)
    assert size < 2000, f"{activity} answered {size} bytes for a run of {n}"
    signals = [
        e.workflow_execution_signaled_event_attributes
        for e in history.events
        if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    reports = [json.loads(opened(s.input.payloads[0])) for s in signals]
    assert reports and {s.signal_name for s in signals} == {"bank_report"}, signals
    assert sum(r["statuses"] for r in reports) >= n, reports
    assert max(len(opened(s.input.payloads[0])) for s in signals) < 200
    activity, size = _largest_activity_input(history)
    assert size < 2000, f"{activity} was given {size} bytes for a run of {n}"
    with Session(engine) as session:  # the reports as the bank sent them, kept as evidence
        kept = session.exec(select(BankStatusReport).where(BankStatusReport.run_id == run_id)).all()
    assert {k.report_id for k in kept} == {r["report_id"] for r in reports}
    assert all(k.body.startswith(b"<?xml") and k.msg_id for k in kept)


async def test_settled_before_midnight_applied_after_it_reconciles_on_the_booking_date(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    """Booked by the bank at 23:50 China time, its status applied at 00:10: the ledger takes
    the booking date from the pain.002 (AccptncDtTm), so the settlement and the return match
    the statement of the day they were booked, and the next day's statement has neither."""
    now = (await env.get_current_time()).astimezone(AGENCY_TZ)
    late = (now + timedelta(days=3)).replace(hour=22, minute=50, second=0, microsecond=0)
    await advance(env, (late - now).total_seconds() / 86400)  # days from the other tests
    # the run's first poll at 00:50 (booking expected two hours after acceptance): the
    # webhook after midnight brings the statuses first
    async with stack.worker(bank_booking_hours=2):
        good = await _checked_in_case(env, task_queue, "6222020200112233446")
        bad = await _checked_in_case(env, task_queue, CLOSED)
        run_id, run = await _start_released_run(env, engine, task_queue, good)
        await state_when_run(engine, run, lambda st: st.status == "submitted")
        submitted = (await env.get_current_time()).astimezone(AGENCY_TZ)
        assert submitted.hour == 22, submitted  # due at 23:5x, one settle_hours later
        await advance(env, 80 / 1440)  # to 00:10 of the next day, then the webhook
        await _task_id(engine, run_id, "payment_returned")
        for _ in range(600):
            paid = {p.case_id: p for p in _payments(engine, [good, bad])}
            if paid[good].status == "settled":
                break
            await asyncio.sleep(0.05)
    day = submitted.date()
    assert paid[good].settled_on == day and paid[bad].status == "returned"
    with Session(engine) as session:
        entries = session.exec(
            select(AuditEntry).where(
                col(AuditEntry.entity_id).in_([good, bad]),
                col(AuditEntry.action).in_(["payment_settled", "payment_returned"]),
            )
        ).all()
    assert {e.at.astimezone(AGENCY_TZ).date() for e in entries if e.at} == {day}
    applied = {datetime.fromisoformat(e.data["applied_at"]) for e in entries}
    assert {a.astimezone(AGENCY_TZ).date() for a in applied} == {day + timedelta(days=1)}
    ours = {p.end_to_end_id for p in paid.values()}
    recon = ReconciliationActivities(engine, stack.settings)
    at = await env.get_current_time()  # the bank's signed statement is judged at this time
    booked = await ActivityEnvironment(env.client).run(
        recon.reconcile_day, ReconcileInput(day=day, at=at)
    )
    assert booked.matched >= 2  # the settlement; the return with its reversal
    assert not [m for m in booked.mismatches if m.end_to_end_id in ours], booked.mismatches
    after = await ActivityEnvironment(env.client).run(
        recon.reconcile_day, ReconcileInput(day=day + timedelta(days=1), at=at)
    )
    assert not [m for m in after.mismatches if m.end_to_end_id in ours], after.mismatches


async def test_a_return_recorded_by_an_apply_that_failed_still_gets_its_finance_task(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str, book: PolicyBook
) -> None:
    """An apply can record the bank's statuses and then fail before it answers (a worker
    lost, a timeout); its retry finds them final and reports no change. Here the statuses
    are recorded outside the run before the bank's own report arrives: the run must still
    open the return's task (from the ledger) before it finishes, and pay nothing twice."""
    now = (await env.get_current_time()).astimezone(AGENCY_TZ)
    ten = now.replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=5)
    await advance(env, (ten - now).total_seconds() / 86400)  # a day of its own
    async with stack.worker():
        good = await _checked_in_case(env, task_queue, "6222020200112233446")
        bad = await _checked_in_case(env, task_queue, CLOSED)
        run_id, run = await _start_released_run(env, engine, task_queue, good)
        await state_when_run(engine, run, lambda st: st.status == "submitted")
        paid = {p.case_id: p for p in _payments(engine, [good, bad])}
        booked = await env.get_current_time()
        lost = ApplyInput(
            run_id,
            booked,
            [
                StatusUpdate(paid[good].end_to_end_id, "ACSC", None, booked),
                StatusUpdate(paid[bad].end_to_end_id, "RJCT", "AC04", booked),
            ],
        )
        activities = PaymentActivities(
            engine, stack.settings, book, tell_case=ClaimWorkflow.payment_update
        )
        await ActivityEnvironment().run(activities.apply_statuses, lost)  # its answer is lost
        await advance(env, 0.1)  # the bank settles and reports: nothing changes any more
        task = await _task_id(engine, run_id, "payment_returned")
        assert task == f"payment_returned-{paid[bad].end_to_end_id}"
        with Session(engine) as session:  # the ledger's last look found it: not completed
            assert session.get(PaymentRun, run_id).status == "submitted"  # type: ignore[union-attr]
        await _returns_of(env, run_id).execute_update(
            PaymentReturnsWorkflow.complete_task,
            CompleteTaskInput(
                task_id=task,
                outcome="cancel",
                reason="claimant unreachable",
                actor="finance",
                actor_roles=["finance"],
            ),
        )
        await state_when_run(engine, run, lambda st: st.status == "completed")
    after = {p.case_id: p.status for p in _payments(engine, [good, bad])}
    assert after == {good: "settled", bad: "cancelled"}


async def test_a_report_the_database_does_not_have_makes_the_run_ask_the_bank(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    """A `bank_report` naming no kept report (lost, or another run's) does not fail the run:
    apply_report refuses it, the run polls the bank at once instead, and it still completes
    on the webhook's real report."""
    prefix = f"lost{task_queue[-6:]}"
    e2e_ids = _seed_obligations(engine, prefix, 3, await today(env), 0)
    async with stack.worker():
        run_id, run = await _start_released_run(env, engine, task_queue, prefix)
        await state_when_run(engine, run, lambda st: st.status == "submitted")
        await run.signal(PaymentRunWorkflow.bank_report, StatusReportRef("0" * 64, 3))
        for _ in range(400):  # the refused apply, then a poll
            if ("poll_run", "scheduled") in _activity_events(await run.fetch_history()):
                break
            await asyncio.sleep(0.05)
        await advance(env, 0.1)  # past the bank's settlement delay: its webhook's report
        await state_when_run(engine, run, lambda st: st.status == "completed", timeout=120)
        history = await run.fetch_history()
    await _replayer().replay_workflow(history)
    events = _activity_events(history)
    failed = events.index(("apply_report", "failed"))
    assert ("poll_run", "scheduled") in events[failed:], events
    assert ("apply_report", "completed") in events[failed:], events  # the real report
    assert {p.status for p in _payments_by_e2e(engine, e2e_ids)} == {"settled"}


def _activity_events(history: WorkflowHistory) -> list[tuple[str, str]]:
    """(activity type, scheduled | completed | failed | local) in history order (`local`: a
    local activity's marker)."""
    names: dict[int, str] = {}
    out: list[tuple[str, str]] = []
    for e in history.events:
        if (local := local_activity_of(e)) is not None:
            out.append((local, "local"))
        if e.HasField("activity_task_scheduled_event_attributes"):
            names[e.event_id] = e.activity_task_scheduled_event_attributes.activity_type.name
            out.append((names[e.event_id], "scheduled"))
        elif e.HasField("activity_task_completed_event_attributes"):
            sid = e.activity_task_completed_event_attributes.scheduled_event_id
            out.append((names[sid], "completed"))
        elif e.HasField("activity_task_failed_event_attributes"):
            sid = e.activity_task_failed_event_attributes.scheduled_event_id
            out.append((names[sid], "failed"))
    return out


def _payments_by_e2e(engine: Engine, e2e_ids: list[str]) -> list[Payment]:
    with Session(engine) as session:
        return list(
            session.exec(select(Payment).where(col(Payment.end_to_end_id).in_(e2e_ids))).all()
        )


async def test_a_kept_report_replayed_stale_or_re_signed_or_too_large_is_refused(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    """Issue 13 §5: the webhook checks the body's size before anything (413), the bank's
    timestamp against our (simulated) clock (401 outside ±5 minutes), and the report's
    message ID as a nonce (409 the second time): a report the run has applied, presented
    again, changes nothing."""
    prefix = f"rply{task_queue[-6:]}"
    e2e_ids = _seed_obligations(engine, prefix, 2, await today(env), 0)
    async with stack.worker(bank_booking_hours=24):  # no poll before the webhook: a kept report
        run_id, run = await _start_released_run(env, engine, task_queue, prefix)
        await state_when_run(engine, run, lambda st: st.status == "submitted")
        await advance(env, 0.1)  # past the bank's settlement delay: its signed webhook
        await state_when_run(engine, run, lambda st: st.status == "completed", timeout=120)
    with Session(engine) as session:
        kept = session.exec(select(BankStatusReport).where(BankStatusReport.run_id == run_id)).one()
    url = f"{stack.api_url}/api/v1/bank/webhook"
    now = await env.get_current_time()
    async with httpx.AsyncClient() as http:
        stale = await http.post(
            url,
            content=kept.body,
            headers=signed_headers(kept.body, SECRET, now - timedelta(minutes=6)),
        )
        assert stale.status_code == 401 and "window" in stale.text
        again = await http.post(
            url, content=kept.body, headers=signed_headers(kept.body, SECRET, now)
        )
        assert again.status_code == 409 and "replay" in again.text
        big = b"<" * (MAX_BYTES + 1)
        too_large = await http.post(url, content=big, headers=signed_headers(big, SECRET, now))
        assert too_large.status_code == 413
    with Session(engine) as session:
        assert (
            len(
                session.exec(
                    select(BankStatusReport).where(BankStatusReport.run_id == run_id)
                ).all()
            )
            == 1
        )
    assert {p.status for p in _payments_by_e2e(engine, e2e_ids)} == {"settled"}


async def test_an_acceptance_the_bank_did_not_sign_is_refused_and_the_run_not_marked_sent(
    env: WorkflowEnvironment,
    stack: Stack,
    engine: Engine,
    book: PolicyBook,
    task_queue: str,
) -> None:
    """Issue 13 §5: the pain.001's answer is verified as the status reports are. Over real
    HTTP, a worker whose secret is not the bank's refuses the 202 acceptance once and
    permanently (BANK_UNVERIFIED: finance's `bank_rejected` task in the run), the ledger
    still pending; the secret put right, the resubmission's signed 409 (a duplicate: the bank
    pays nothing twice) is verified and the run is sent."""
    prefix = f"ack{task_queue[-6:]}"
    day = await today(env)
    e2e_ids = _seed_obligations(engine, prefix, 2, day, 0)
    run_id = f"R{REGION}-{prefix}"
    wrong = stack.settings.model_copy(update={"bank_webhook_secret": "not-the-banks-secret"})
    acts = PaymentActivities(engine, wrong, book, tell_case=ClaimWorkflow.payment_update)
    right = PaymentActivities(engine, stack.settings, book, tell_case=ClaimWorkflow.payment_update)
    at = await env.get_current_time()
    summary = ActivityEnvironment().run(acts.gather_run, GatherInput(run_id, REGION, day, at))
    assert summary.count >= 2
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(acts.submit_run, RunInput(run_id, at))
    assert refused.value.type == BANK_UNVERIFIED and refused.value.non_retryable
    assert "bad signature" in refused.value.message
    assert {p.status for p in _payments_by_e2e(engine, e2e_ids)} == {"pending"}
    sent = await ActivityEnvironment().run(right.submit_run, RunInput(run_id, at))
    assert sent.sent == summary.count
    assert {p.status for p in _payments_by_e2e(engine, e2e_ids)} == {"sent"}
    async with httpx.AsyncClient() as http:
        txs = (await http.get(f"{stack.bank_url}/admin/transactions")).json()
    rows = txs if isinstance(txs, list) else txs["transactions"]
    assert sorted(t["end_to_end_id"] for t in rows if t["end_to_end_id"] in e2e_ids) == sorted(
        e2e_ids
    )  # each once
    # a duplicate answer with a signature that is not the bank's is refused too
    with pytest.raises(ApplicationError) as again:
        await ActivityEnvironment().run(acts.submit_run, RunInput(run_id, at))
    assert again.value.type == BANK_UNVERIFIED


async def test_a_polled_answer_with_a_bad_signature_opens_a_system_error_not_endless_retries(
    env: WorkflowEnvironment,
    stack: Stack,
    engine: Engine,
    book: PolicyBook,
    task_queue: str,
) -> None:
    """Issue 13 §5: on the polling path too, an answer the bank did not sign (here: a worker
    whose secret is not the bank's) is never applied; poll_run fails once, permanently, and
    the run opens a system_error task for someone to look at."""
    prefix = f"unsg{task_queue[-6:]}"
    e2e_ids = _seed_obligations(engine, prefix, 2, await today(env), 0)
    async with stack.worker(cache=0):  # submitted by a worker with the bank's secret
        run_id, run = await _start_released_run(env, engine, task_queue, prefix)
        await state_when_run(engine, run, lambda st: st.status == "submitted")
        for _ in range(1200):  # the ledger says so first; then the activity's answer is in
            if ("submit_run", "completed") in _activity_events(await run.fetch_history()):
                break
            await asyncio.sleep(0.05)
    wrong = stack.settings.model_copy(update={"bank_webhook_secret": "not-the-banks-secret"})
    worker = create_worker(
        env.client,
        settings=wrong,
        engine=engine,
        book=book,
        task_queue=task_queue,
        fail_fast=True,
        max_cached_workflows=0,  # no sticky queue: the next worker takes the run at once
    )
    async with worker:
        # a report the database does not have: the run asks the bank at once
        await run.signal(PaymentRunWorkflow.bank_report, StatusReportRef("0" * 64, 2))
        task_id = await _task_id(engine, run_id, "system_error")
        with Session(engine) as session:
            task = session.get(Task, task_id)
            assert task is not None and task.details["error_type"] == "BankUnverified", task
            assert task.details["activity"] == "poll_run"
        history = await run.fetch_history()
    assert {p.status for p in _payments_by_e2e(engine, e2e_ids)} == {"sent"}  # nothing applied
    async with stack.worker():  # the secret put right, a supervisor retries: the run completes
        await run.execute_update(
            PaymentRunWorkflow.complete_task,
            CompleteTaskInput(
                task_id=task_id,
                outcome="retry",
                reason="worker secret fixed",
                actor="supervisor",
                actor_roles=["supervisor"],
            ),
        )
        await advance(env, 0.1)  # past the bank's settlement delay
        await state_when_run(engine, run, lambda st: st.status == "completed", timeout=120)
    events = _activity_events(history)
    # a failed event at all: the default retry policy never gives up on a retryable error
    assert events.count(("poll_run", "failed")) == 1, events
    assert {p.status for p in _payments_by_e2e(engine, e2e_ids)} == {"settled"}
