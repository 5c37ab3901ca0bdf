"""The reconciliation page (issue 4, item 6-7: 账账相符): a day's ledger totals per category
beside the statement's, the open mismatches with their tasks, and reconciling a past day by
hand, with its errors beside the field."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col
from temporalio.testing import WorkflowEnvironment

from db.models import Payment, ReconciliationRecord, Task
from tests.pages.helpers import csrf_of, page_login
from tests.pages.test_finance_pages import _payment
from tests.utils.temporal import today
from workflows import ids


@pytest.fixture
def day(engine: Engine) -> Iterator[date]:
    """A day of the 1990s no other test settles on; its rows go again afterwards."""
    picked = date(1990, 1, 1) + timedelta(days=random.randrange(3650))
    yield picked
    with Session(engine) as session:
        session.exec(delete(Payment).where(col(Payment.settled_on).in_([picked])))
        session.exec(delete(Task).where(col(Task.workflow_id) == ids.day_reconciliation(picked)))
        session.exec(delete(ReconciliationRecord).where(col(ReconciliationRecord.day) == picked))
        session.commit()


def _seed_mismatched(engine: Engine, day: date) -> tuple[Payment, Task]:
    """Two payments settled that day; the statement matched the benefit, not the premium."""
    run_id = f"R229900-{uuid.uuid4().hex[:10]}"
    benefit = _payment("rp" + uuid.uuid4().hex[:8], run_id, "settled", "755.00")
    premium = _payment(benefit.case_id, run_id, "settled", "120.50", category="medical_premium")
    benefit.settled_on = premium.settled_on = day
    record = ReconciliationRecord(
        day=day,
        status="mismatched",
        matched=1,
        paid_by_category={"benefit": "755.00"},
        mismatches=[
            {
                "end_to_end_id": premium.end_to_end_id,
                "side": "ledger_only",
                "detail": "settled 120.50, not on the statement",
            }
        ],
        at=datetime.now(UTC),
    )
    task = Task(
        task_id=f"reconciliation_mismatch-{day:%Y%m%d}-{premium.end_to_end_id}",
        kind="reconciliation_mismatch",
        workflow_id=ids.day_reconciliation(day),
        group="finance",
        title="Statement mismatch",
        created_at=datetime.now(UTC),
    )
    with Session(engine) as session:
        session.add_all([benefit, premium, record, task])
        session.commit()
        session.refresh(premium)
        session.refresh(task)
        session.expunge_all()
    return premium, task


async def test_finance_sees_the_day_against_the_statement_and_its_open_mismatch(
    api: httpx.AsyncClient, engine: Engine, day: date
) -> None:
    premium, task = _seed_mismatched(engine, day)
    await page_login(api, "finance")
    page = await api.get(f"/staff/finance/reconciliation?day={day}")
    assert page.status_code == 200, page.text
    totals = page.text.split('id="recon-totals"')[1].split("</table>")[0]
    assert "失业保险金" in totals and "医疗保险费" in totals
    assert "755.00" in totals and "120.50" in totals and "875.50" in totals
    assert 'class="recon-diff"' in totals  # the premium's line: 120.50 not on the statement
    assert "账账不符" in page.text
    mismatches = page.text.split('id="recon-mismatches"')[1].split("</table>")[0]
    assert premium.end_to_end_id in mismatches and "账务有、对账单无" in mismatches
    assert f'href="/staff/tasks/{task.task_id}"' in mismatches
    assert f'href="/staff/finance/reconciliation?day={day}"' in page.text  # recent days
    assert 'href="/staff/finance/reconciliation"' in page.text  # the finance nav

    api.cookies.set("lang", "en")
    english = await api.get(f"/staff/finance/reconciliation?day={day}")
    assert "Books disagree" in english.text and "1 open" in english.text


async def test_books_agree_when_the_statement_matches_every_category(
    api: httpx.AsyncClient, engine: Engine, day: date
) -> None:
    run_id = f"R229900-{uuid.uuid4().hex[:10]}"
    paid = _payment("ra" + uuid.uuid4().hex[:8], run_id, "settled", "1810.00")
    paid.settled_on = day
    record = ReconciliationRecord(
        day=day,
        status="reconciled",
        matched=1,
        paid_by_category={"benefit": "1810.00"},
        at=datetime.now(UTC),
    )
    with Session(engine) as session:
        session.add_all([paid, record])
        session.commit()
    await page_login(api, "supervisor")
    page = await api.get(f"/staff/finance/reconciliation?day={day}")
    assert page.status_code == 200, page.text
    assert "账账相符" in page.text and "recon-diff" not in page.text
    assert "没有不符项" in page.text


async def test_reconciling_a_day_by_hand_checks_the_day_and_starts_once(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    await page_login(api, "finance")
    page = await api.get("/staff/finance/reconciliation")
    assert page.status_code == 200, page.text
    token, url = csrf_of(page.text), "/staff/finance/reconciliation"
    now = await today(env)

    future = await api.post(url, data={"csrf_token": token, "day": now.isoformat()})
    assert future.status_code == 422 and 'id="err-day"' in future.text
    assert "只能对已过去的日期对账" in future.text and f'value="{now}"' in future.text
    garbage = await api.post(url, data={"csrf_token": token, "day": "2026-13-40"})
    assert garbage.status_code == 422 and 'id="err-day"' in garbage.text
    empty = await api.post(url, data={"csrf_token": token, "day": ""})
    assert empty.status_code == 422 and 'id="err-day"' in empty.text
    forged = await api.post(url, data={"csrf_token": "nope", "day": "2020-01-01"})
    assert forged.status_code == 403
    assert (await api.get(f"{url}?day=yesterday")).status_code == 422

    past = now - timedelta(days=1)
    started = await api.post(url, data={"csrf_token": token, "day": past.isoformat()})
    assert started.status_code == 303, started.text
    assert started.headers["location"] == f"{url}?day={past}"
    desc = await env.client.get_workflow_handle(ids.day_reconciliation(past)).describe()
    assert desc.workflow_type == "ReconciliationWorkflow"
    again = await api.post(url, data={"csrf_token": token, "day": past.isoformat()})
    assert again.status_code == 303  # already started: not started twice, no error


async def test_reviewer_may_not_see_the_reconciliation_page(api: httpx.AsyncClient) -> None:
    await page_login(api, "reviewer")
    assert (await api.get("/staff/finance/reconciliation")).status_code == 403
