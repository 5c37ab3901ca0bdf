"""A death reported late, after three months went out through the real payment runs and the
simulated bank (issue 11 §1-2): months paid beyond the day become an overpayment recorded on
the stop's determination (and the overpayment hook's), nothing already paid is touched, and
the funeral grant and survivor pension, once a reviewer approves them, are paid by the next
normal run to the survivor's account. Through our REST API over HTTP, on the simulated clock."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from db.models import Determination, Payment, Task
from db.recovery import Recovery
from db.seed import demo_credentials
from domain.amounts import prorated_amount
from tests.utils import factories as f
from tests.utils import own_database
from tests.utils.temporal import advance, eventually, state_when, today
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import Stack
from workflows import ids
from workflows.payout_calendar import ensure_payout_calendar

stack = test_payment_run.stack


# a database of the test's own: the session's shared one holds other tests' obligations and
# runs of region 220100, which joined this test's payout-day runs (month 1 never went out in
# full runs, never alone)
database_url, engine, settings = (
    own_database.database_url,
    own_database.engine,
    own_database.settings,
)


REGION = "220100"  # payout day 10; 755.00 a month (seed 002)
MONTHLY = Decimal("755.00")
SURVIVOR = {"bank_code": "ICBC", "account_number": "6222020200880000019", "account_name": "刘家属"}


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
        stmt = (
            select(Payment)
            .where(Payment.case_id == case_id)
            .order_by(col(Payment.month), col(Payment.category))
        )
        return list(session.exec(stmt).all())


def _determination(engine: Engine, key: str) -> Determination | None:
    with Session(engine) as session:
        return session.exec(select(Determination).where(Determination.key == key)).first()


async def _release_runs(
    web: httpx.AsyncClient, engine: Engine, finance: dict[str, str], finance2: dict[str, str]
) -> None:
    """Release every run; a second person approves one that asks for it (a run of the shared
    test database can hold another test's re-issue to a changed payee: issue 13 §4)."""
    for kind, outcome, who in (
        ("payment_run_release", "release", finance),
        ("payment_run_approval", "approve", finance2),
    ):
        for task_id in _open_tasks(engine, kind):
            resp = await web.post(
                f"/api/v1/tasks/{task_id}/complete", json={"outcome": outcome}, headers=who
            )
            assert resp.status_code in (200, 409), resp.text


async def test_a_late_death_after_three_paid_months_overpays_and_the_grants_go_out(
    env: WorkflowEnvironment, stack: Stack, engine: Engine, task_queue: str
) -> None:
    nid, sep = f.national_id_of("man", date(1968, 3, 10)), await today(env)
    async with stack.worker(), httpx.AsyncClient(base_url=stack.api_url, timeout=60) as web:
        await ensure_payout_calendar(env.client, task_queue, only=[REGION])
        clerk, reviewer = await _token(web, "clerk"), await _token(web, "reviewer")
        finance, finance2 = await _token(web, "finance"), await _token(web, "finance2")
        made = await web.post(
            "/api/v1/employer-reports", json=f.employer_report_json(nid, sep), headers=clerk
        )
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
        assert s.benefit is not None
        months = s.benefit.months[:3]

        # months 1-3 checked in, owed, released and settled by the bank
        checked: set[int] = set()
        for _ in range(200):  # a bound on days, not a timing check
            day = await today(env)
            for ms in months:
                if ms.month not in checked and ms.start + timedelta(days=2) <= day < ms.end:
                    resp = await web.post(
                        f"/api/v1/cases/{case_id}/check-ins", json={}, headers=clerk
                    )
                    assert resp.status_code == 201, resp.text
                    checked.add(ms.month)
            await _release_runs(web, engine, finance, finance2)
            paid = [p for p in _payments(engine, case_id) if p.status == "settled"]
            if [p.month for p in paid] == [1, 2, 3]:
                break
            await advance(env, 1)
        else:
            raise AssertionError(f"months 1-3 not paid: {_payments(engine, case_id)}")

        # the death, reported now, was in month 2 (day 10 of it)
        died = months[1].start + timedelta(days=10)
        resp = await web.post(
            f"/api/v1/cases/{case_id}/events",
            json={
                "type": "died",
                "effective_date": died.isoformat(),
                "data": {
                    "evidence": "死亡证明 2024-001",
                    "dependents": 1,
                    "survivor_account": SURVIVOR,
                },
            },
            headers=clerk,
        )
        assert resp.status_code == 201, resp.text
        det = await eventually(lambda: _determination(engine, f"{case_id}:stop_event"))
        assert det is not None
        due2 = prorated_amount(MONTHLY, months[1].start, months[1].end, died, "daily", "half_up")
        overpaid = (MONTHLY - due2) + MONTHLY
        assert det.result["overpayment"] == f"{overpaid:.2f}"
        assert det.result["last_paid_day"] == (died - timedelta(days=1)).isoformat()
        actions = {m["month"]: m["action"] for m in det.result["months"]}
        assert actions == {1: "keep", 2: "overpaid", 3: "overpaid"}
        hook = await eventually(lambda: _determination(engine, f"{case_id}:overpayment:stop_event"))
        assert hook is not None and hook.result["overpayment"] == f"{overpaid:.2f}"
        with Session(engine) as session:  # the recovery record finance collects against
            owed = session.exec(select(Recovery).where(Recovery.case_id == case_id)).all()
        assert [(r.cause, r.amount, r.status, r.evidence) for r in owed] == [
            ("late_stop_event", overpaid, "open", "死亡证明 2024-001")
        ]
        benefit = [p for p in _payments(engine, case_id) if p.category == "benefit"]
        assert [(p.status, p.amount) for p in benefit] == [("settled", MONTHLY)] * 3

        # a reviewer approves the grants; the next run pays them to the survivor
        task_id = (await eventually(lambda: _open_tasks(engine, "death_grants_review")))[0]
        done = await web.post(
            f"/api/v1/tasks/{task_id}/complete",
            json={"outcome": "approve", "reason": "certificate seen"},
            headers=reviewer,
        )
        assert done.status_code == 200, done.text
        for _ in range(60):
            await _release_runs(web, engine, finance, finance2)
            grants = [p for p in _payments(engine, case_id) if p.category != "benefit"]
            if len(grants) == 2 and all(p.status == "settled" for p in grants):
                break
            await advance(env, 1)
        else:
            raise AssertionError(f"grants not paid: {_payments(engine, case_id)}")
        got = {p.category: (p.amount, p.account_number, p.attempt) for p in grants}
        assert got == {
            "funeral_grant": (MONTHLY * 7, SURVIVOR["account_number"], 1),
            "survivor_pension": (MONTHLY * 5, SURVIVOR["account_number"], 1),
        }
        s = await state_when(handle, lambda s: s.status == "stopped")
        assert s.closure_reason == "died"
