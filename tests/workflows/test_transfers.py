"""Transfers between pooling regions (DOMAIN.md stage 9; seed 000 范文1 §4.4; issue 12 §2)
through `POST /api/v1/cases/{id}/transfers` on the time-skipping server, with the agency and
the bank over HTTP: in the province the case moves with its months; across provinces the
source moves the funds once (both funds' ledgers), closes `transferred_out`, and the
destination continues after its clerk accepts, even with the worker stopped in the middle."""

from __future__ import annotations

import asyncio
import signal
import threading
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import transfers
from db.medical import MedicalCoverage
from db.models import Payment, PaymentRun
from domain.medical import monthly_premium
from domain.transfers import TransferFunds, transfer_funds
from payloads.case_state import CaseState, MonthState
from payloads.payments import PaymentRunInput
from tests.pages.helpers import csrf_of, page_login
from tests.utils import factories as f
from tests.utils.temporal import state_when, today
from tests.utils.worker_process import DEAD_POLLS_EXPIRE, no_activity_in_flight, worker_process
from tests.workflows import medical_stack
from tests.workflows.medical_stack import (
    MedicalStack,
    advance,
    complete,
    eventually,
    found,
    keep_case_history,
    login,
    task_of,
)
from tests.workflows.test_medical_stage import _approved_case, _check_in_through
from worker import create_worker
from workflows import ids
from workflows.payment_run import PaymentRunWorkflow

database_url, engine, settings, stack = medical_stack.FIXTURES


def _ledger(engine: Engine, *case_ids: str) -> list[Payment]:
    with Session(engine) as session:
        stmt = select(Payment).where(col(Payment.case_id).in_(case_ids))
        return list(session.exec(stmt.order_by(col(Payment.id))).all())


def _uncached(env: WorkflowEnvironment, stack: MedicalStack, task_queue: str) -> Worker:
    """A worker keeping no workflow in its cache: the time-skipping server never gives a
    stopped worker's sticky tasks to another one (as tests/workflows/test_payment_run.py)."""
    return create_worker(
        env.client,
        settings=stack.settings,
        engine=stack.engine,
        book=stack.book,
        task_queue=task_queue,
        fail_fast=True,
        max_cached_workflows=0,
    )


def _cover(engine: Engine, case_id: str) -> MedicalCoverage | None:
    with Session(engine) as session:
        stmt = select(MedicalCoverage).where(MedicalCoverage.case_id == case_id)
        return session.exec(stmt).first()


async def test_bad_transfers_are_refused_and_an_in_province_one_keeps_the_months(
    env: WorkflowEnvironment, stack: MedicalStack
) -> None:
    """Same region, unknown region: 422 naming to_region_code; a case not active: 409; within
    the province the case continues in 220200 with the same months, the medical relationship
    moves and the months are still owed by the 220100 fund."""
    nid = f.national_id_of("woman", date(1990, 8, 1))  # 36
    async with stack.worker(), httpx.AsyncClient(base_url=stack.api_url, timeout=60) as web:
        clerk = await login(stack.api_url, "clerk")
        sep = await today(env)
        other = f.national_id_of("man", date(1968, 2, 2))  # 58: a case still in review
        made = await web.post(
            "/api/v1/employer-reports", json=f.employer_report_json(other, sep), headers=clerk
        )
        review_case = made.json()["case_id"]
        await web.post("/api/v1/registrations", json=f.registration_json(other, sep), headers=clerk)
        handle = env.client.get_workflow_handle(ids.case(review_case))
        await state_when(handle, lambda s: s.status == "in_review")
        resp = await web.post(
            f"/api/v1/cases/{review_case}/transfers",
            json={"to_region_code": "220200"},
            headers=clerk,
        )
        assert resp.status_code == 409, resp.text

        case_id, s = await _approved_case(env, stack, web, nid)
        url = f"/api/v1/cases/{case_id}/transfers"
        for code in ("220100", "999999"):
            resp = await web.post(url, json={"to_region_code": code}, headers=clerk)
            assert resp.status_code == 422, resp.text
            assert resp.json()["detail"][0]["loc"] == ["body", "to_region_code"]
        reviewer = await login(stack.api_url, "reviewer")
        resp = await web.post(url, json={"to_region_code": "220200"}, headers=reviewer)
        assert resp.status_code == 403

        # the clerk's form on the case page: the same refusal, beside the field
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as browser:
            await page_login(browser, "clerk")
            page = await browser.get(f"/staff/cases/{case_id}")
            assert 'id="transfer-form"' in page.text and 'value="330100"' in page.text
            sent = await browser.post(
                f"/staff/cases/{case_id}/transfers",
                data={"to_region_code": "220100", "csrf_token": csrf_of(page.text)},
            )
            assert sent.status_code == 422 and "another region" in sent.text
        resp = await web.post(url, json={"to_region_code": "220200"}, headers=clerk)
        assert resp.status_code == 201, resp.text
        assert (
            resp.json()["kind"] == "in_province" and resp.json()["months_left"] == 11
        )  # month 1 owed already
        handle = env.client.get_workflow_handle(ids.case(case_id))
        after = await state_when(handle, lambda s: s.region_code == "220200")
        assert after.status == "active" and after.benefit is not None
        assert [m.start for m in after.benefit.months] == [m.start for m in s.benefit.months]
        cover = _cover(stack.engine, case_id)
        assert cover is not None and cover.region_code == "220200"
        # month 2 is owed by the paying fund, which did not change
        await _check_in_through(env, stack, web, case_id, after.benefit.months, 2)
        owed = await found(
            lambda: [p for p in _ledger(stack.engine, case_id) if p.month == 2] or None
        )
        assert owed[0].region_code == "220100" and owed[0].category == "benefit"
        page = await web.get(f"/api/v1/cases/{case_id}", headers=clerk)
        assert page.json()["region_code"] == "220200"
        await keep_case_history("transfer_in_province", handle)


async def test_a_cross_province_transfer_survives_a_killed_worker_and_moves_the_funds_once(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """220100 → 330100 after month 2 was owed: the source books the 10 months left and their
    premium at its rates as one transfer_out (paid to the Hangzhou fund's account), 330100's
    ledger the same sum as transfer_in; the source closes transferred_out, its cover stops
    from month 3; the destination, accepted a week later, owes the 10 months at its own
    amount, enrols medical there and tops up the premium shortfall.

    The transfer is asked of a worker running as its own process, SIGKILLed once the funds
    are booked and the destination waits for its clerk (between activities: one the dead
    process had started would hold the time-skipping lock, tests/utils/worker_process.py);
    another process finishes it, and the transfer_out goes through the bank once (pain.001,
    settled) by the source's payment run. Checked from both funds' ledgers."""
    nid = f.national_id_of("man", date(1979, 11, 30))  # 47
    web = httpx.AsyncClient(base_url=stack.api_url, timeout=120)
    async with _uncached(env, stack, task_queue):
        case_id, s = await _approved_case(env, stack, web, nid)
        months = s.benefit.months
        await _check_in_through(env, stack, web, case_id, months, 2)
        await found(lambda: [p for p in _ledger(stack.engine, case_id) if p.month == 2] or None)
    clerk = await login(stack.api_url, "clerk")
    first = worker_process(stack.settings, task_queue, env)
    try:
        resp = await web.post(
            f"/api/v1/cases/{case_id}/transfers", json={"to_region_code": "330100"}, headers=clerk
        )
        assert resp.status_code == 201, resp.text
        body = resp.json()
        assert body["kind"] == "cross_province" and body["months_left"] == 10
        dest = body["destination_case_id"]
        await found(lambda: task_of(stack.engine, "transfer_in", dest))
        await no_activity_in_flight(
            env,
            [
                ids.case(case_id),
                ids.case(dest),
                ids.DAILY_RECONCILIATION,
                ids.PAYOUT_CALENDAR,
                ids.MEDICAL_CALENDAR,
            ],
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    await asyncio.sleep(DEAD_POLLS_EXPIRE)  # the dead process's long polls expire first
    second = worker_process(stack.settings, task_queue, env)
    try:
        source = env.client.get_workflow_handle(ids.case(case_id))
        s = await state_when(source, lambda s: s.status == "transferred_out")
        assert s.closure_reason == "transferred"
        task = await found(lambda: task_of(stack.engine, "transfer_in", dest))
        await advance(env, 7)  # the destination's clerk takes a week
        done = await web.post(
            f"/api/v1/tasks/{task.task_id}/complete", json={"outcome": "accept"}, headers=clerk
        )
        assert done.status_code == 200, done.text
        destination = env.client.get_workflow_handle(ids.case(dest))
        d = await state_when(
            destination,
            lambda d: d.status == "active" and bool(d.medical and d.medical.enrolled),
        )
        assert d.benefit is not None and len(d.benefit.months) == 10
        assert [m.start for m in d.benefit.months] == [m.start for m in months[2:]]
        first_month = d.benefit.months[0]
        await advance(env, (first_month.start - await today(env)).days + 2)
        checked = await web.post(f"/api/v1/cases/{dest}/check-ins", json={}, headers=clerk)
        assert checked.status_code == 201, checked.text
        await found(lambda: [p for p in _ledger(stack.engine, dest) if p.month == 1] or None)
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as browser:
            await page_login(browser, "clerk")  # both case pages link to each other
            src_page = await browser.get(f"/staff/cases/{case_id}")
            dst_page = await browser.get(f"/staff/cases/{dest}")
        assert f'href="/staff/cases/{dest}"' in src_page.text
        assert f'href="/staff/cases/{case_id}"' in dst_page.text
        src_cover = await found(
            lambda: c if (c := _cover(stack.engine, case_id)) and c.stop_date else None
        )
        [out] = [p for p in _ledger(stack.engine, case_id) if p.category == "transfer_out"]
        await _paid_by_the_sources_run(env, stack, task_queue, out.end_to_end_id)
        await keep_case_history("transfer_cross_province_source", source)
        await keep_case_history("transfer_cross_province_destination", destination)
    finally:
        second.terminate()
        second.wait(timeout=30)
    await web.aclose()

    assert src_cover.stop_date == months[2].start
    dest_cover = _cover(stack.engine, dest)
    assert dest_cover is not None and dest_cover.region_code == "330100"
    src = _ledger(stack.engine, case_id)
    dst = _ledger(stack.engine, dest)
    out_rows = [p for p in src if p.category == "transfer_out"]
    into = [p for p in dst if p.category == "transfer_in"]
    assert len(out_rows) == 1 and len(into) == 1 and out_rows[0].amount == into[0].amount
    out = out_rows[0]
    assert (out.status, out.attempt, into[0].status) == ("settled", 1, "received")
    book = stack.book
    p_src = monthly_premium(book.region("220100").at(months[2].start).medical)
    p_dst = monthly_premium(book.region("330100").at(months[2].start).medical)
    assert out.amount == (Decimal("755.00") + p_src) * 10
    assert out.region_code == "220100" and into[0].region_code == "330100"
    assert (out.fund, into[0].fund) == ("UI-220100", "UI-330100")  # both funds' ledgers
    assert {p.fund for p in src} == {"UI-220100"} and {p.fund for p in dst} == {"UI-330100"}
    assert out.account_number == book.region("330100").fund.account_number  # type: ignore[union-attr]
    # no month lost or doubled: the source owed months 1-2, the destination the 10 others
    assert [p.month for p in src if p.category == "benefit"] == [1, 2]
    benefit_dst = [p for p in dst if p.category == "benefit"]
    assert benefit_dst and all(p.region_code == "330100" for p in benefit_dst)
    assert len({p.month for p in benefit_dst}) == len(benefit_dst)
    assert benefit_dst[0].amount != Decimal("755.00")  # the destination's amount
    topup = [p for p in dst if p.category == "premium_topup"]
    if p_dst > p_src:
        assert len(topup) == 1 and topup[0].amount == (p_dst - p_src) * 10
    else:
        assert not topup
    assert timedelta(0) <= (await today(env) - months[2].start)


async def _paid_by_the_sources_run(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str, e2e: str
) -> None:
    """The transfer_out goes to the bank in the source region's payment run (the payout
    calendar's, when it gathered it, or one started now), released by finance (and approved
    by finance2 past the policy's threshold): one pain.001 transaction, settled."""
    row = _payment(stack.engine, e2e)
    if row.run_id is None:
        day = await today(env)
        ours = f"R220100-{day:%Y%m%d}-xfer"
        await env.client.start_workflow(
            PaymentRunWorkflow.run,
            PaymentRunInput(run_id=ours, region_code="220100", cutoff=day),
            id=ids.payment_run(ours),
            task_queue=task_queue,
        )
        row = await found(lambda: p if (p := _payment(stack.engine, e2e)).run_id else None)
    run_id = row.run_id
    assert run_id is not None
    release = await found(lambda: task_of(stack.engine, "payment_run_release", run_id))
    done = await complete(stack, release.task_id, "finance", outcome="release")
    assert done.status_code == 200, done.text
    status = await eventually(
        lambda: _run_status(stack.engine, run_id),
        lambda st: st in ("awaiting_approval", "submitted", "completed"),
    )
    if status == "awaiting_approval":
        approval = await found(lambda: task_of(stack.engine, "payment_run_approval", run_id))
        done = await complete(stack, approval.task_id, "finance2", outcome="approve")
        assert done.status_code == 200, done.text
    await eventually(
        lambda: _run_status(stack.engine, run_id), lambda st: st != "awaiting_approval"
    )
    await advance(env, 0.1)  # past the bank's settlement delay
    await eventually(lambda: _payment(stack.engine, e2e).status, lambda st: st == "settled")
    async with httpx.AsyncClient() as http:
        txs = (await http.get(f"{stack.bank_url}/admin/transactions")).json()
    mine = [t for t in txs if e2e in str(t)]
    assert len(mine) == 1, mine  # through the bank once
    account = stack.book.region("330100").fund
    assert account is not None and mine[0]["creditor_account"] == account.account_number


def _payment(engine: Engine, e2e: str) -> Payment:
    with Session(engine) as session:
        return session.exec(select(Payment).where(Payment.end_to_end_id == e2e)).one()


def _run_status(engine: Engine, run_id: str) -> str | None:
    with Session(engine) as session:
        row = session.get(PaymentRun, run_id)
        return row.status if row is not None else None


async def test_a_check_in_accepted_while_a_cross_province_transfer_runs_goes_with_the_month(
    env: WorkflowEnvironment, stack: MedicalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Month 3 running, not checked in: the clerk asks 220100 → 330100 and, while the source
    prices the months (plan_transfer held open), the claimant's check-in for month 3 is
    accepted. Month 3 is not owed by the source (it moves with the funds); the destination
    gets it checked in on the claimant's day, not the acceptance's, and pays it once, even
    accepted after the month ended (DOMAIN.md stage 9: the remaining entitlement moves)."""
    gate = threading.Event()
    planning = threading.Event()
    funds = transfer_funds

    def held(months_left: int, amount: Decimal, premium: Decimal) -> TransferFunds:
        planning.set()
        assert gate.wait(60), "the test never let the plan go"
        return funds(months_left, amount, premium)

    monkeypatch.setattr(transfers, "transfer_funds", held)
    nid = f.national_id_of("woman", date(1985, 3, 9))  # 41
    async with stack.worker(), httpx.AsyncClient(base_url=stack.api_url, timeout=120) as web:
        clerk = await login(stack.api_url, "clerk")
        case_id, s = await _approved_case(env, stack, web, nid)
        months = s.benefit.months
        await _check_in_through(env, stack, web, case_id, months, 2)
        await found(lambda: [p for p in _ledger(stack.engine, case_id) if p.month == 2] or None)
        await advance(env, (months[2].start - await today(env)).days + 3)
        day = await today(env)
        source = env.client.get_workflow_handle(ids.case(case_id))
        moving = asyncio.create_task(
            web.post(
                f"/api/v1/cases/{case_id}/transfers",
                json={"to_region_code": "330100"},
                headers=clerk,
            )
        )
        try:
            assert await asyncio.to_thread(planning.wait, 60), "the source never planned"
            checking = asyncio.create_task(
                web.post(f"/api/v1/cases/{case_id}/check-ins", json={}, headers=clerk)
            )
            mid = await state_when(source, lambda s: _month(s, 3).status == "checked_in")
            assert mid.transfer is not None and mid.transfer.status == "requested"
        finally:
            gate.set()
        resp = await moving
        checked = await checking
        assert resp.status_code == 201, resp.text
        assert checked.status_code == 201 and checked.json()["month"] == 3, checked.text
        dest = resp.json()["destination_case_id"]
        assert resp.json()["months_left"] == 10
        await state_when(source, lambda s: s.status == "transferred_out")
        task = await found(lambda: task_of(stack.engine, "transfer_in", dest))
        await advance(env, (months[2].end - day).days + 2)  # accepted after month 3 ended
        done = await web.post(
            f"/api/v1/tasks/{task.task_id}/complete", json={"outcome": "accept"}, headers=clerk
        )
        assert done.status_code == 200, done.text
        destination = env.client.get_workflow_handle(ids.case(dest))
        d = await state_when(destination, lambda d: d.status == "active")
        first = _month(d, 1)
        assert first.start == months[2].start
        assert (first.status, first.check_in, first.by_registration) == ("checked_in", day, False)
        await found(lambda: [p for p in _ledger(stack.engine, dest) if p.month == 1] or None)
        await state_when(destination, lambda d: _month(d, 1).owed)
    src = [p for p in _ledger(stack.engine, case_id) if p.category == "benefit"]
    dst = [p for p in _ledger(stack.engine, dest) if p.category == "benefit"]
    assert [p.month for p in src] == [1, 2]  # month 3 is not the source's to pay
    assert [p.month for p in dst if p.month == 1] == [1]
    assert all(p.region_code == "330100" for p in dst)


def _month(s: CaseState, month: int) -> MonthState:
    assert s.benefit is not None
    return s.benefit.months[month - 1]
