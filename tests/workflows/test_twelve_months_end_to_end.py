"""Issue 4, "Done when": twelve months of a real-looking case pass through check-ins, the
payout calendar, a finance release, the bank and the daily reconciliation on the simulated
clock, every yuan accounted for. Everything through the real parts: our REST API over HTTP
(intake, review, check-ins, releases), the worker, the simulated bank over HTTP with its
signed webhook, and a database of the test's own (the days it reconciles are its alone)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from db.models import Payment, PaymentRun, ReconciliationRecord, Task
from db.recovery import ClaimantHistory
from db.seed import demo_credentials
from policy import default_policy_book
from tests.utils import factories as f
from tests.utils import own_database
from tests.utils.ledger_check import assert_ledger_adds_up, rules_amount
from tests.utils.temporal import advance, state_when, today
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import Stack
from workflows import ids
from workflows.payout_calendar import ensure_payout_calendar
from workflows.reconciliation import DAILY, ensure_daily_reconciliation

# a database of the test's own
database_url, engine, settings = (
    own_database.database_url,
    own_database.engine,
    own_database.settings,
)
stack = test_payment_run.stack  # our API and worker, and the bank on the test server's clock
REGION = "220100"  # payout day 10; 755.00 a month since 2023-10-01 (seed 002)


async def _token(web: httpx.AsyncClient, username: str) -> dict[str, str]:
    resp = await web.post("/api/v1/auth/token", data=demo_credentials(username))
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _open_tasks(engine: Engine, kind: str) -> list[str]:
    with Session(engine) as session:
        stmt = select(Task.task_id).where(
            Task.kind == kind, col(Task.status).in_(["open", "claimed"])
        )
        return list(session.exec(stmt).all())


def _payments(engine: Engine, case_id: str) -> list[Payment]:
    with Session(engine) as session:
        stmt = select(Payment).where(Payment.case_id == case_id).order_by(col(Payment.month))
        return list(session.exec(stmt).all())


async def test_twelve_months_checked_in_released_paid_and_reconciled(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    nid, sep = f.national_id(), await today(env)
    async with stack.worker(), httpx.AsyncClient(base_url=stack.api_url, timeout=60) as web:
        await ensure_payout_calendar(env.client, task_queue, only=[REGION])
        await ensure_daily_reconciliation(env.client, task_queue, quiet_days=DAILY)
        clerk, reviewer = await _token(web, "clerk"), await _token(web, "reviewer")
        finance = await _token(web, "finance")

        # intake and review, as the office does it (contributions of 30 months: 12 months)
        report = f.employer_report_json(nid, sep, contribution_months=30)
        made = await web.post("/api/v1/employer-reports", json=report, headers=clerk)
        assert made.status_code == 201, made.text
        case_id = made.json()["case_id"]
        reg = await web.post(
            "/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk
        )
        assert reg.status_code == 201, reg.text
        handle = env.client.get_workflow_handle(ids.case(case_id))
        s = await state_when(handle, lambda s: any(t.startswith("review_claim") for t in s.tasks))
        review = next(t for t in s.tasks if t.startswith("review_claim"))
        done = await web.post(
            f"/api/v1/tasks/{review}/complete", json={"outcome": "approve"}, headers=reviewer
        )
        assert done.status_code == 200, done.text
        s = await state_when(handle, lambda s: s.benefit is not None)
        assert s.benefit is not None and len(s.benefit.months) == 12
        months = s.benefit.months
        last_end = months[-1].end

        # day by day: check in each month, release each payout day's run, until the last
        # month is paid and its settlement day reconciled
        checked: set[int] = set()
        released: set[str] = set()
        for _ in range(500):  # about 13 months of days; a bound, not a timing check
            day = await today(env)
            for ms in months:
                if ms.month not in checked and ms.start + timedelta(days=2) <= day < ms.end:
                    resp = await web.post(
                        f"/api/v1/cases/{case_id}/check-ins", json={}, headers=clerk
                    )
                    assert resp.status_code == 201, resp.text
                    checked.add(ms.month)
            for task_id in _open_tasks(engine, "payment_run_release"):
                if task_id not in released:
                    resp = await web.post(
                        f"/api/v1/tasks/{task_id}/complete",
                        json={"outcome": "release"},
                        headers=finance,
                    )
                    assert resp.status_code == 200, resp.text
                    released.add(task_id)
            paid = _payments(engine, case_id)
            if day > last_end and len(paid) == 12 and all(p.status == "settled" for p in paid):
                last = max(p.settled_on for p in paid if p.settled_on)
                with Session(engine) as session:
                    if session.get(ReconciliationRecord, last) is not None:
                        break
            await advance(env, 1)
        else:
            with Session(engine) as session:
                seen = [(r.run_id, r.status) for r in session.exec(select(PaymentRun))]
                held = [(t.task_id, t.status) for t in session.exec(select(Task))]
            raise AssertionError(f"not paid and reconciled: runs {seen}, tasks {held}")

        s = await state_when(handle, lambda s: s.status == "exhausted")

    # every month checked in, owed once, paid once, at the amount in force
    paid = _payments(engine, case_id)
    assert checked == set(range(1, 13))
    assert [p.month for p in paid] == list(range(1, 13))
    assert [p.status for p in paid] == ["settled"] * 12
    assert [p.amount for p in paid] == [Decimal("755.00")] * 12
    assert [p.attempt for p in paid] == [1] * 12
    assert len({p.end_to_end_id for p in paid}) == 12
    total = sum((p.amount for p in paid), Decimal("0.00"))
    assert total == Decimal("9060.00")
    # the ledger adds up to the rules (issue 11 §6): twelve months at the amount in force
    assert s.review is not None and s.review.decision is not None
    ent = s.review.decision.entitlement
    assert ent is not None
    due = rules_amount(default_policy_book(), "220100", ent.start_date, range(1, 13))
    assert_ledger_adds_up(engine, case_id, due)
    # exhausted: the claimant history records the case with no month unused (issue 11 §5)
    with Session(engine) as session:
        history = session.exec(
            select(ClaimantHistory).where(ClaimantHistory.case_id == case_id)
        ).one()
    assert (history.status, history.used_months, history.unused_months) == ("exhausted", 12, 0)

    # every run released by finance and completed; every settlement day reconciled clean,
    # and the statement's matched total is exactly what the ledger paid (账账相符)
    with Session(engine) as session:
        runs = list(session.exec(select(PaymentRun)).all())
        records = list(session.exec(select(ReconciliationRecord)).all())
        tasks = list(session.exec(select(Task)).all())
    assert runs and all(r.status in ("completed", "empty") for r in runs)
    assert all(r.released_by == "finance" for r in runs if r.status == "completed")
    assert len(released) == sum(1 for r in runs if r.status == "completed")
    settled_days = {p.settled_on for p in paid}
    by_day = {r.day: r for r in records}
    assert settled_days <= set(by_day)
    unclean = [(r.day, r.mismatches) for r in records if r.status != "reconciled"]
    assert not unclean, unclean
    assert (
        sum((Decimal(r.paid_by_category.get("benefit", "0")) for r in records), Decimal("0.00"))
        == total
    )
    assert not [t for t in tasks if t.kind in ("reconciliation_mismatch", "payment_returned")]
    assert not [t for t in tasks if t.status in ("open", "claimed") and t.kind != "escalation"]
