"""The finance pages: payment runs with their transactions, returned payments with their
tasks, today's settled totals, and the returned-payment decision form."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from api.pages.finance import account_tail, day_totals
from db.models import Payment, PaymentRun, Task
from tests.pages.helpers import csrf_of, page_login
from tests.utils.temporal import advance, today
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import (
    CLOSED,
    Stack,
    _checked_in_case,
    _start_released_run,
    _task_id,
    state_when_run,
)
from workflows import ids

stack = test_payment_run.stack  # the real stack: our API and worker, and the simulated bank


def _payment(case_id: str, run_id: str, status: str, amount: str, **kw: object) -> Payment:
    e2e = f"{run_id[-8:]}-{case_id[-6:]}-{uuid.uuid4().hex[:6]}"
    return Payment(
        case_id=case_id,
        region_code="229900",
        month=kw.pop("month", 1),  # type: ignore[arg-type]
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
        category=kw.pop("category", "benefit"),  # type: ignore[arg-type]
        amount=Decimal(amount),
        status=status,
        end_to_end_id=e2e,
        run_id=run_id,
        bank_code="ICBC",
        account_number="6222020200112233446",
        account_name="刘测试",
        created_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
        **kw,  # type: ignore[arg-type]
    )


def _seed(engine: Engine, settled_on: date) -> tuple[str, Payment, Task]:
    """A completed run of three payments (settled, returned, settled as medical premium)
    with an open payment_returned task for the returned one."""
    run_id = f"R229900-{uuid.uuid4().hex[:10]}"
    settled = _payment("fp" + uuid.uuid4().hex[:8], run_id, "settled", "755.00")
    settled.settled_on = settled_on
    premium = _payment(settled.case_id, run_id, "settled", "120.50", category="medical_premium")
    premium.settled_on = settled_on
    returned = _payment("fp" + uuid.uuid4().hex[:8], run_id, "returned", "755.00")
    returned.returned_reason = "AC04"
    returned.account_number = "6222020200998877665"
    run = PaymentRun(
        run_id=run_id,
        region_code="229900",
        status="completed",
        count=3,
        total=Decimal("1630.50"),
        totals={"benefit": "1510.00", "medical_premium": "120.50"},
        released_by="finance",
        approved_by="finance2",
        created_at=datetime.now(UTC) + timedelta(days=3650),  # newest: on page 1
        submitted_at=datetime.now(UTC),
        completed_at=datetime.now(UTC),
    )
    task = Task(
        task_id=f"payment_returned-{returned.end_to_end_id}",
        kind="payment_returned",
        workflow_id=ids.payment_run(run_id),
        group="finance",
        title="Payment returned",
        created_at=datetime.now(UTC),
        details={"case_id": returned.case_id, "month": 1, "reason": "AC04"},
    )
    release = Task(
        task_id=f"payment_run_release-{run_id}",
        kind="payment_run_release",
        workflow_id=ids.payment_run(run_id),
        group="finance",
        status="completed",
        outcome="release",
        completed_by="finance",
        created_at=datetime.now(UTC),
    )
    with Session(engine) as session:
        session.add_all([run, settled, premium, returned, task, release])
        session.commit()
        session.refresh(returned)
        session.refresh(task)
        session.expunge_all()
    return run_id, returned, task


Seed = Callable[[date], tuple[str, Payment, Task]]


def _remove(engine: Engine, run_ids: list[str]) -> None:
    """Seeded rows go again: the reconciliation tests compare a day's ledger with the bank."""
    with Session(engine) as session:
        session.exec(delete(Payment).where(col(Payment.run_id).in_(run_ids)))
        flows = [ids.payment_run(r) for r in run_ids]
        session.exec(delete(Task).where(col(Task.workflow_id).in_(flows)))
        session.exec(delete(PaymentRun).where(col(PaymentRun.run_id).in_(run_ids)))
        session.commit()


@pytest.fixture
def seed(engine: Engine) -> Iterator[Seed]:
    made: list[str] = []

    def make(day: date) -> tuple[str, Payment, Task]:
        found = _seed(engine, day)
        made.append(found[0])
        return found

    yield make
    _remove(engine, made)


def test_account_tail_shows_only_the_last_four_digits() -> None:
    assert account_tail("6222020200112233446") == "****3446"
    assert account_tail(None) == "–"


async def test_reviewer_may_not_see_the_finance_pages(
    api: httpx.AsyncClient, seed: Seed, env: WorkflowEnvironment
) -> None:
    run_id, _, _ = seed(await today(env))
    await page_login(api, "reviewer")
    for url in ("/staff/finance", f"/staff/finance/runs/{run_id}", "/staff/finance/returns"):
        resp = await api.get(url)
        assert resp.status_code == 403, url
    assert 'href="/staff/finance"' not in (await api.get("/staff/my")).text


async def test_finance_lists_runs_transactions_returns_and_day_totals(
    api: httpx.AsyncClient, seed: Seed, env: WorkflowEnvironment
) -> None:
    run_id, returned, task = seed(await today(env))
    await page_login(api, "finance")
    page = await api.get("/staff/finance")
    assert page.status_code == 200, page.text
    assert f'href="/staff/finance/runs/{run_id}"' in page.text
    assert "1630.50" in page.text and "finance2" in page.text and "已完成" in page.text
    assert 'href="/staff/finance"' in page.text  # the nav link
    totals = page.text.split('id="day-totals"')[1].split("</section>")[0]
    assert "失业保险金" in totals and "医疗保险费" in totals and "合计" in totals

    detail = await api.get(f"/staff/finance/runs/{run_id}")
    assert detail.status_code == 200, detail.text
    assert detail.text.count("****3446") == 2 and "****7665" in detail.text
    assert "6222020200112233446" not in detail.text
    assert "已退回" in detail.text and "AC04" in detail.text and "已到账" in detail.text
    assert f'href="/staff/tasks/{task.task_id}"' in detail.text
    assert f'href="/staff/tasks/payment_run_release-{run_id}"' in detail.text
    assert (await api.get("/staff/finance/runs/nope")).status_code == 404

    returns = await api.get("/staff/finance/returns")
    assert returns.status_code == 200
    assert returned.end_to_end_id in returns.text
    assert f'href="/staff/tasks/{task.task_id}"' in returns.text

    api.cookies.set("lang", "en")
    english = await api.get(f"/staff/finance/runs/{run_id}")
    assert "Transactions" in english.text and "returned" in english.text
    assert (await api.get("/staff/finance?page=abc")).status_code == 200


async def test_supervisor_sees_the_finance_pages(
    api: httpx.AsyncClient, seed: Seed, env: WorkflowEnvironment
) -> None:
    seed(await today(env))
    await page_login(api, "supervisor")
    assert (await api.get("/staff/finance")).status_code == 200
    assert (await api.get("/staff/finance/returns")).status_code == 200


async def test_returned_payment_form_asks_for_the_account_or_a_reason(
    api: httpx.AsyncClient, seed: Seed, env: WorkflowEnvironment
) -> None:
    _, _, task = seed(await today(env))
    await page_login(api, "finance")
    page = await api.get(f"/staff/tasks/{task.task_id}")
    assert page.status_code == 200, page.text
    assert 'id="reissue-form"' in page.text and 'id="cancel-form"' in page.text
    assert 'name="account_number"' in page.text and "AC04" in page.text
    token = csrf_of(page.text)
    url = f"/staff/tasks/{task.task_id}/complete"
    empty = await api.post(
        url,
        data={
            "csrf_token": token,
            "form": "reissue",
            "outcome": "reissue",
            "bank_code": "ICBC",
            "account_name": "刘测试",
        },
    )
    assert empty.status_code == 422
    assert 'id="err-account_number"' in empty.text and 'value="ICBC"' in empty.text
    no_reason = await api.post(
        url, data={"csrf_token": token, "form": "cancel", "outcome": "cancel"}
    )
    assert no_reason.status_code == 422 and 'id="err-reason"' in no_reason.text


def test_day_totals_sum_settled_payments_of_the_day_by_category(engine: Engine) -> None:
    day = date(2001, 2, 3)  # no other test settles on this day
    run_id = f"R229900-{uuid.uuid4().hex[:10]}"
    rows = [
        _payment("fq" + uuid.uuid4().hex[:8], run_id, "settled", "755.00"),
        _payment("fq" + uuid.uuid4().hex[:8], run_id, "settled", "800.00"),
        _payment("fq" + uuid.uuid4().hex[:8], run_id, "settled", "99.90", category="refund"),
        _payment("fq" + uuid.uuid4().hex[:8], run_id, "returned", "755.00"),
    ]
    for row in rows[:3]:
        row.settled_on = day
    rows[3].settled_on = day  # not settled: not counted
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
        totals = day_totals(session, day)
    _remove(engine, [run_id])
    assert totals.by_category == {
        "benefit": (2, Decimal("1555.00")),
        "refund": (1, Decimal("99.90")),
    }
    assert totals.count == 3 and totals.total == Decimal("1654.90")


async def test_returned_payment_form_shows_the_workflows_refusal_beside_the_field(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    """The real stack: a payment to a closed account comes back; the page's re-issue with an
    account number that fails the check digit is refused by the workflow, shown beside the
    field; a cancel with a reason then closes the return."""
    # on a day of its own: the payment run test reconciles today's ledger and journal
    await advance(env, 20)
    async with stack.worker():
        bad = await _checked_in_case(env, task_queue, CLOSED)
        run_id, run = await _start_released_run(env, engine, task_queue, bad)
        await state_when_run(engine, run, lambda st: st.status == "submitted")
        await advance(env, 0.1)  # past the bank's settlement delay
        returned = await _task_id(engine, run_id, "payment_returned")

        async with httpx.AsyncClient(base_url=stack.api_url) as web:
            await page_login(web, "finance")
            listed = await web.get("/staff/finance/returns")
            assert f'href="/staff/tasks/{returned}"' in listed.text
            page = await web.get(f"/staff/tasks/{returned}")
            assert 'id="reissue-form"' in page.text, page.text
            token, url = csrf_of(page.text), f"/staff/tasks/{returned}/complete"
            refused = await web.post(
                url,
                data={
                    "csrf_token": token,
                    "form": "reissue",
                    "outcome": "reissue",
                    "bank_code": "ICBC",
                    "account_number": "6222020200112233447",  # check digit wrong
                    "account_name": "刘测试",
                },
            )
            assert refused.status_code in (400, 409, 422), refused.text
            assert 'id="err-account_number"' in refused.text
            assert 'value="6222020200112233447"' in refused.text
            done = await web.post(
                url,
                data={
                    "csrf_token": token,
                    "form": "cancel",
                    "outcome": "cancel",
                    "reason": "已核实",
                },
            )
            assert done.status_code == 303, done.text
        await state_when_run(engine, run, lambda st: st.status == "completed")
        with Session(engine) as session:
            row = session.exec(select(Payment).where(Payment.case_id == bad)).one()
            assert row.status == "cancelled"
            session.exec(delete(Payment).where(col(Payment.case_id) == bad))
            session.commit()
        _remove(engine, [run_id])


async def test_the_funds_page_shows_each_funds_totals_by_category_per_month(
    api: httpx.AsyncClient, seed: Seed, env: WorkflowEnvironment, engine: Engine
) -> None:
    """Issue 12 §3: every ledger entry names its region's fund (filled on insert), and the
    finance page totals each fund's categories per month (cancelled entries left out)."""
    run_id, returned, _ = seed(await today(env))
    with Session(engine) as session:
        funds = set(session.exec(select(Payment.fund).where(Payment.run_id == run_id)).all())
    assert funds == {"UI-229900"}
    await page_login(api, "supervisor")
    page = await api.get("/staff/finance/funds")
    assert page.status_code == 200, page.text
    row = page.text.split('class="fund-UI-229900"')[1].split("</tr>")[0]
    assert "2026-01" in row
    assert 'data-category="benefit">1510.00' in row
    assert 'data-category="medical_premium">120.50' in row
    await page_login(api, "reviewer")
    assert (await api.get("/staff/finance/funds")).status_code == 403
