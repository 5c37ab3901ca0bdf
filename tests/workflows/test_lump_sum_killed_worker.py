"""The self-employment lump sum (seed 000 art. 35; issue 11 §3) is paid exactly once even when
the worker process is SIGKILLed mid-payment: after the run's pain.001 went to the bank and
before any status came back. A new worker process finishes the run; the ledger holds one
settled `lump_sum` row (attempt 1) and the bank's own records one transaction for it, though
the bank answers every status twice. Through our REST API over HTTP for the case, the event
and the reviewer's approval; the payment run and the bank as in the killed-worker test of
test_payment_run.py (whose docstring explains why the clock never moves after the kill)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from db.models import AuditEntry, Determination, Payment
from db.seed import demo_credentials
from policy import PolicyBook
from tests.utils import factories as f
from tests.utils import own_database
from tests.utils.temporal import advance, eventually, state_when, today
from tests.utils.worker_process import no_activity_in_flight
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import REGION, Stack, run_with_worker_killed
from workflows import ids

stack = test_payment_run.stack

# a database of the test's own: no other test's obligations of the region join its run
database_url, engine, settings = (
    own_database.database_url,
    own_database.engine,
    own_database.settings,
)


async def _token(web: httpx.AsyncClient, username: str) -> dict[str, str]:
    resp = await web.post("/api/v1/auth/token", data=demo_credentials(username))
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


async def _open_task(web: httpx.AsyncClient, h: dict[str, str], case_id: str, kind: str) -> str:
    params = {"case_id": case_id, "kind": kind, "status": "open"}

    async def found() -> list[dict[str, str]]:
        resp = await web.get("/api/v1/tasks", params=params, headers=h)
        assert resp.status_code == 200, resp.text
        return list(resp.json())

    for _ in range(1200):  # a bound on polls for a loaded machine, not a timing check
        if rows := await found():
            return rows[0]["task_id"]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open {kind} task on {case_id}")


def _lump_sums(engine: Engine, case_id: str) -> list[Payment]:
    with Session(engine) as session:
        stmt = select(Payment).where(Payment.case_id == case_id, Payment.category == "lump_sum")
        return list(session.exec(stmt).all())


def _determination(engine: Engine, key: str) -> Determination | None:
    with Session(engine) as session:
        return session.exec(select(Determination).where(Determination.key == key)).first()


async def _lump_sum_owed(
    env: WorkflowEnvironment, web: httpx.AsyncClient, engine: Engine
) -> tuple[str, Decimal]:
    """A case of REGION approved today, stopped by self-employment two days on, its lump sum
    approved by a reviewer: the case and the amount owed (one pending `lump_sum` row)."""
    clerk, reviewer = await _token(web, "clerk"), await _token(web, "reviewer")
    nid, sep = f.national_id(), await today(env)
    made = await web.post(
        "/api/v1/employer-reports",
        json=f.employer_report_json(nid, sep, region_code=REGION),
        headers=clerk,
    )
    assert made.status_code == 201, made.text
    case_id = str(made.json()["case_id"])
    reg = await web.post(
        "/api/v1/registrations",
        json=f.registration_json(nid, sep, region_code=REGION),
        headers=clerk,
    )
    assert reg.status_code == 201, reg.text
    review = await _open_task(web, clerk, case_id, "review_claim")
    done = await web.post(
        f"/api/v1/tasks/{review}/complete", json={"outcome": "approve"}, headers=reviewer
    )
    assert done.status_code == 200, done.text
    handle = env.client.get_workflow_handle(ids.case(case_id))
    s = await state_when(handle, lambda s: s.benefit is not None)
    assert s.benefit is not None
    on = await today(env) + timedelta(days=2)
    left = sum(1 for m in s.benefit.months if m.start >= on)
    event = await web.post(
        f"/api/v1/cases/{case_id}/events",
        json={
            "type": "self_employed",
            "effective_date": on.isoformat(),
            "data": {"evidence": "营业执照 2026-118", "uscc": f.USCC},
        },
        headers=clerk,
    )
    assert event.status_code == 201, event.text
    task_id = await _open_task(web, clerk, case_id, "lump_sum_review")
    done = await web.post(
        f"/api/v1/tasks/{task_id}/complete",
        json={"outcome": "approve", "reason": "licence seen"},
        headers=reviewer,
    )
    assert done.status_code == 200, done.text
    owed = await eventually(lambda: _lump_sums(engine, case_id))
    det = _determination(engine, f"{case_id}:lump_sum")
    assert det is not None and det.result["lump_sum"] == f"{owed[0].amount:.2f}"
    assert left > 0 and owed[0].amount > 0 and owed[0].status == "pending"
    return case_id, owed[0].amount


async def test_lump_sum_paid_exactly_once_with_the_worker_killed_mid_payment(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str, book: PolicyBook
) -> None:
    async with stack.worker(), httpx.AsyncClient(base_url=stack.api_url, timeout=60) as web:
        case_id, amount = await _lump_sum_owed(env, web, engine)
        await advance(env, 2)  # to the event's day: a run gathers what is due by its day
        # the case's stop stage has written everything before the worker changes hands
        await no_activity_in_flight(env, [ids.case(case_id)])
    run_id = await run_with_worker_killed(env, stack, engine, task_queue, book, case_id)

    # the ledger: one lump sum, sent by the run whose worker died, settled on its first
    # attempt, for the approved amount
    [paid] = _lump_sums(engine, case_id)
    assert (paid.run_id, paid.status, paid.attempt) == (run_id, "settled", 1)
    assert paid.amount == amount
    # the bank's own records: one transaction carrying its end-to-end ID
    async with httpx.AsyncClient() as http:
        txs = (await http.get(f"{stack.bank_url}/admin/transactions")).json()
    rows = txs if isinstance(txs, list) else txs["transactions"]
    assert len([t for t in rows if paid.end_to_end_id in str(t)]) == 1
    # and one settlement in the audit trail, however often the bank answered
    with Session(engine) as session:
        settled = session.exec(
            select(AuditEntry).where(
                AuditEntry.entity_id == case_id,
                AuditEntry.action == "payment_settled",
                col(AuditEntry.key).contains(paid.end_to_end_id),
            )
        ).all()
    assert len(settled) == 1
