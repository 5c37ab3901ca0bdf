"""Benefit months: check-ins, obligations, misses, stop and exhaustion (DOMAIN.md stage 5,
"Benefit months"; seed 000 art. 33), with continue-as-new at every month boundary."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.settings import Settings
from db.models import CaseEvent, Payment
from payloads.case_io import CheckInInput
from payloads.case_state import CaseState
from payloads.payments import AppliedChange
from payloads.tasks import CompleteTaskInput
from policy import POLICY_DIR, load_policy_book
from tests.utils import factories as f
from tests.utils.temporal import advance, eventually, signal_case, state_when, today
from worker import create_worker
from workflows.claim import ClaimWorkflow

CLERK: dict[str, Any] = {"actor": "clerk", "actor_roles": ["clerk"]}


async def _active_case(
    env: WorkflowEnvironment, task_queue: str, months: int = 60
) -> tuple[WorkflowHandle[Any, Any], CaseState]:
    nid, sep = f.national_id(), await today(env)
    case_id = "bm" + nid[-8:]
    h = await signal_case(
        env.client, task_queue, case_id, f.employer_report(nid, sep, contribution_months=months)
    )
    await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s = await state_when(h, lambda s: any(t.kind == "review_claim" for t in s.tasks.values()))
    task_id = next(t for t in s.tasks if t.startswith("review_claim"))
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=task_id, outcome="approve", actor="reviewer", actor_roles=["reviewer"]
        ),
    )
    latest = env.client.get_workflow_handle(h.id)
    return latest, await state_when(latest, lambda s: s.benefit is not None)


async def _to_day(env: WorkflowEnvironment, day: date) -> None:
    now = await today(env)
    if day > now:
        await advance(env, (day - now).days)


def _payments(engine: Engine, case_id: str) -> list[Payment]:
    with Session(engine) as session:
        stmt = select(Payment).where(Payment.case_id == case_id).order_by(col(Payment.month))
        return list(session.exec(stmt).all())


async def _decide_miss(h: WorkflowHandle[Any, Any], month: int, outcome: str) -> None:
    s = await state_when(
        h, lambda s: s.benefit is not None and bool(s.benefit.months[month - 1].task_id)
    )
    assert s.benefit is not None
    task_id = s.benefit.months[month - 1].task_id
    assert task_id is not None
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(task_id=task_id, outcome=outcome, reason="hospital", **CLERK),
    )


@pytest.fixture
def raised_book(tmp_path: Path, env: WorkflowEnvironment) -> Path:
    """220100 with a raise to 800.00 from the 1st of the month after next (a test policy)."""
    for p in POLICY_DIR.glob("*.toml"):
        shutil.copy(p, tmp_path / p.name)
    return tmp_path


async def test_twelve_months_paid_twelve_times_with_a_policy_raise_then_exhausted(
    env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    task_queue: str,
    raised_book: Path,
) -> None:
    """Each checked-in month owed once at the amount in force on its first day (DOMAIN.md
    stage 4: a change applies to months that start on or after its effective date)."""
    start = await today(env)
    raise_on = date(start.year + (start.month + 4) // 12, (start.month + 4) % 12 + 1, 1)
    policy = raised_book / "220100.toml"
    policy.write_text(
        policy.read_text("utf-8")
        + f"\n[[periods]]\neffective_from = {raise_on.isoformat()}\n"
        + '[periods.benefit]\nrule = "fixed"\namount = "800.00"\n',
        "utf-8",
    )
    book = load_policy_book(raised_book)
    async with create_worker(
        env.client,
        settings=settings,
        engine=engine,
        book=book,
        task_queue=task_queue,
        fail_fast=True,
    ):
        h, s = await _active_case(env, task_queue, months=30)
        assert s.benefit is not None and len(s.benefit.months) == 12
        for ms in s.benefit.months:
            await _to_day(env, ms.start + timedelta(days=3))
            res = await h.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
            assert res.month == ms.month
            await _to_day(env, ms.end)
        s = await state_when(h, lambda s: s.status == "exhausted")
        assert s.closure_reason == "entitlement_exhausted"
        paid = _payments(engine, s.case_id)
        assert [p.month for p in paid] == list(range(1, 13))
        expected = [
            Decimal("800.00") if m.start >= raise_on else Decimal("755.00")
            for m in s.benefit.months  # type: ignore[union-attr]
        ]
        assert [p.amount for p in paid] == expected
        assert Decimal("800.00") in expected and Decimal("755.00") in expected
        assert len({p.end_to_end_id for p in paid}) == 12


async def test_two_unexcused_missed_check_ins_stop_the_case(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """Seed 000 art. 33: two consecutive missed check-ins without good reason stop it (month
    1 is checked in by the registration: domain/check_ins.py)."""
    h, s = await _active_case(env, task_queue)
    assert s.benefit is not None
    m2, m3 = s.benefit.months[1], s.benefit.months[2]
    await _to_day(env, m2.end)
    await _decide_miss(h, 2, "not_excused")
    await _to_day(env, m3.end)
    await _decide_miss(h, 3, "not_excused")
    s = await state_when(h, lambda s: s.status == "stopped")
    assert s.closure_reason == "missed_check_ins"
    assert [p.month for p in _payments(engine, s.case_id)] == [1]


async def test_an_excused_miss_is_paid_and_does_not_count(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """A clerk's good reason excuses a miss (seed 000 art. 33): no stop, the month is paid."""
    h, s = await _active_case(env, task_queue)
    assert s.benefit is not None
    months = s.benefit.months
    await _to_day(env, months[1].end)
    await _decide_miss(h, 2, "excused")
    await _to_day(env, months[2].end)
    await _decide_miss(h, 3, "not_excused")
    await _to_day(env, months[3].start + timedelta(days=1))
    res = await h.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    assert res.month == 4
    with pytest.raises(WorkflowUpdateFailedError) as twice:
        await h.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    assert "already checked in" in str(twice.value.cause)
    await _to_day(env, months[3].end)
    s = await state_when(h, lambda s: s.benefit is not None and s.benefit.current == 5)
    assert s.status == "active"
    assert [p.month for p in _payments(engine, s.case_id)] == [1, 2, 4]


async def test_a_bank_status_told_twice_is_one_event_on_the_timeline(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, engine: Engine
) -> None:
    """The payment activities tell a case at least once (a retry after a crash between the
    signal and the commit tells it again): the case keeps one event per status."""
    h, s = await _active_case(env, task_queue)
    e2e = f"{s.case_id}-001-BE-1"
    settled = AppliedChange(end_to_end_id=e2e, case_id=s.case_id, month=1, status="settled")
    returned = AppliedChange(end_to_end_id=e2e, case_id=s.case_id, month=1, status="returned")
    for change in (returned, returned, settled, settled):
        await h.signal(ClaimWorkflow.payment_update, change)
    await state_when(h, lambda s: len(s.payment_updates) == 2 and not s.unsynced_events)

    def events() -> list[str]:
        with Session(engine) as session:
            stmt = select(CaseEvent.type).where(
                CaseEvent.case_id == s.case_id, col(CaseEvent.type).startswith("payment_")
            )
            return list(session.exec(stmt).all())

    found = await eventually(events, lambda e: len(e) >= 3)  # month 1 owed on approval too
    assert sorted(found) == ["payment_owed", "payment_returned", "payment_settled"]
