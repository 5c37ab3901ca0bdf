"""Check-ins never block and never punish the office's own delay (issue 9 §3; DOMAIN.md stage
5; seed 000 art. 33; 社会保险法 art. 50): the registration is month 1's check-in, check-ins are
accepted from the registration on, a month ended before the approval is never missed, an open
`missed_check_in` decision does not hold up the next months, and two unexcused misses stop the
case with a notice of the reason and the appeal rights. On the time-skipping server."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.services.notices import build_stop_notice, list_notices, notice_html
from db.medical import MedicalCoverage
from db.models import Determination, Payment
from db.recovery import ClaimantHistory
from domain.entitlement import add_months
from domain.review import APPEAL_NOTICE_ZH
from payloads.case_io import CheckInInput
from payloads.case_state import CaseState
from payloads.tasks import CompleteTaskInput
from tests.utils import factories as f
from tests.utils.temporal import (
    advance,
    eventually,
    notifications_of,
    signal_case,
    state_when,
    tasks_of,
    today,
)
from workflows.claim import ClaimWorkflow

CLERK: dict[str, Any] = {"actor": "clerk", "actor_roles": ["clerk"]}


async def _registered(
    env: WorkflowEnvironment, task_queue: str, nid: str
) -> WorkflowHandle[Any, Any]:
    """Employer report and registration on the same day: the review starts that day."""
    sep = await today(env)
    case_id = "ci" + nid[-8:]
    await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    h = await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    await state_when(h, lambda s: any(t.kind == "review_claim" for t in s.tasks.values()))
    return h


async def _approve(
    env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]
) -> tuple[WorkflowHandle[Any, Any], CaseState]:
    s = await h.query(ClaimWorkflow.state)
    task = next(t for t in s.tasks.values() if t.kind == "review_claim")
    role = "supervisor" if task.escalated else "reviewer"
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=task.task_id, outcome="approve", actor=role, actor_roles=[role], reason="ok"
        ),
    )
    latest = env.client.get_workflow_handle(h.id)
    return latest, await state_when(latest, lambda s: s.benefit is not None)


async def _to_day(env: WorkflowEnvironment, day: date) -> None:
    now = await today(env)
    if day > now:
        await advance(env, (day - now).days)


def _paid_months(engine: Engine, case_id: str) -> list[int]:
    with Session(engine) as session:
        stmt = select(Payment.month).where(Payment.case_id == case_id).order_by(col(Payment.month))
        return [m for m in session.exec(stmt).all() if m is not None]


def _missed_tasks(engine: Engine, case_id: str) -> list[int]:
    return sorted(
        int(t.details["month"]) for t in tasks_of(engine, case_id) if t.kind == "missed_check_in"
    )


async def _decide(h: WorkflowHandle[Any, Any], month: int, outcome: str) -> None:
    s = await state_when(
        h, lambda s: s.benefit is not None and bool(s.benefit.months[month - 1].task_id)
    )
    assert s.benefit is not None
    task_id = s.benefit.months[month - 1].task_id
    assert task_id is not None
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(task_id=task_id, outcome=outcome, reason="no answer", **CLERK),
    )


def _running(month: int) -> Any:
    return lambda s: s.benefit is not None and s.benefit.current == month


async def test_a_review_ending_on_day_14_leaves_month_1_paid_the_registration_its_check_in(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """社会保险法 art. 50: benefit time counts from the registration day; the registration is
    the claimant reporting, so month 1 is checked in by it, whenever the review ends."""
    registered = await today(env)
    h = await _registered(env, task_queue, f.national_id_of("woman", date(1982, 3, 9)))
    await advance(env, 13)  # day 14 of the review (seed 002 art. 9: within 15 days)
    h, s = await _approve(env, h)
    assert s.benefit is not None
    m1 = s.benefit.months[0]
    assert (m1.status, m1.check_in, m1.by_registration) == ("checked_in", registered, True)
    await _to_day(env, m1.end + timedelta(days=1))
    s = await state_when(h, _running(2))
    assert s.benefit is not None and s.benefit.months[0].owed
    assert s.benefit.months[0].status == "checked_in"
    assert _missed_tasks(engine, s.case_id) == []
    assert await eventually(lambda: _paid_months(engine, s.case_id)) == [1]


async def test_check_ins_are_accepted_from_registration_and_months_ended_before_approval_waived(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """A review that runs late (escalated): the claimant checks in during it, for the month
    running then; month 3 ends unchecked before the approval and is waived, not missed; every
    month up to the approval is paid (the office's delay punishes nobody)."""
    h = await _registered(env, task_queue, f.national_id_of("man", date(1970, 1, 1)))
    s = await h.query(ClaimWorkflow.state)
    registered = s.intake.registration_date
    assert registered is not None
    in_month_2 = add_months(registered, 1) + timedelta(days=2)
    await _to_day(env, in_month_2)
    res = await h.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    assert (res.month, res.on, res.period_start) == (2, in_month_2, add_months(registered, 1))
    with pytest.raises(WorkflowUpdateFailedError) as twice:
        await h.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    assert "month 2 is already checked in" in str(twice.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as before:
        await h.execute_update(
            ClaimWorkflow.check_in,
            CheckInInput(actor="clerk", on=registered - timedelta(days=1)),
        )
    assert "before the registration" in str(before.value.cause)

    await _to_day(env, add_months(registered, 3) + timedelta(days=4))  # month 4 running
    h, s = await _approve(env, h)
    assert s.benefit is not None and s.benefit.current == 4
    assert [m.status for m in s.benefit.months[:4]] == [
        "checked_in",
        "checked_in",
        "waived",
        "open",
    ]
    s = await state_when(h, lambda s: s.benefit is not None and s.benefit.months[2].owed)
    assert await eventually(lambda: _paid_months(engine, s.case_id), lambda m: len(m) >= 3) == [
        1,
        2,
        3,
    ]
    assert _missed_tasks(engine, s.case_id) == []
    res = await h.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    assert res.month == 4


async def test_an_open_missed_check_in_decision_does_not_hold_up_the_next_month(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """Months 2 and 3 missed, both decisions left open: month 4's check-in is accepted and
    month 4 is paid on its own; the decisions, when they come, judge 2 and 3."""
    h = await _registered(env, task_queue, f.national_id_of("woman", date(1990, 7, 21)))
    h, s = await _approve(env, h)
    assert s.benefit is not None
    months = s.benefit.months
    await _to_day(env, months[3].start + timedelta(days=2))
    s = await state_when(h, _running(4))
    assert s.benefit is not None
    assert [m.status for m in s.benefit.months[1:3]] == ["missed", "missed"]
    assert _missed_tasks(engine, s.case_id) == [2, 3]
    res = await h.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    assert res.month == 4
    await _to_day(env, months[3].end + timedelta(days=1))
    s = await state_when(h, _running(5))
    assert s.status == "active"
    assert await eventually(lambda: _paid_months(engine, s.case_id), lambda m: 4 in m) == [1, 4]

    await _decide(h, 2, "excused")
    await _decide(h, 3, "not_excused")
    s = await state_when(
        h, lambda s: s.benefit is not None and s.benefit.months[2].status != "missed"
    )
    assert s.benefit is not None
    assert [m.status for m in s.benefit.months[1:4]] == ["excused", "unexcused", "checked_in"]
    assert s.status == "active" and s.benefit.stop is None
    assert await eventually(lambda: _paid_months(engine, s.case_id), lambda m: 2 in m) == [1, 2, 4]


def _history(engine: Engine, case_id: str) -> ClaimantHistory | None:
    with Session(engine) as session:
        return session.exec(
            select(ClaimantHistory).where(ClaimantHistory.case_id == case_id)
        ).first()


async def test_two_unexcused_misses_stop_the_case_with_a_notice_of_reason_and_appeal(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """Seed 000 art. 33: two consecutive missed check-ins without good reason stop the
    benefits, decided in any order, from the day the second is judged; the month checked in
    meanwhile is paid, a later miss still undecided is closed unjudged; the claimant is told
    the reason and the appeal rights, and the stop notice is on the case."""
    h = await _registered(env, task_queue, f.national_id_of("man", date(2004, 2, 29)))
    h, s = await _approve(env, h)
    assert s.benefit is not None
    months = s.benefit.months
    await _to_day(env, months[3].start + timedelta(days=1))
    await state_when(h, _running(4))
    await h.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    await _to_day(env, months[5].start + timedelta(days=1))  # month 5 missed too
    await state_when(h, _running(6))
    assert _missed_tasks(engine, s.case_id) == [2, 3, 5]
    await _decide(h, 3, "not_excused")
    stopped_on = await today(env)
    await _decide(h, 2, "not_excused")
    s = await state_when(h, lambda s: s.status == "stopped")
    assert s.closure_reason == "missed_check_ins"
    assert s.benefit is not None and s.benefit.stop is not None
    assert s.benefit.stop.months == [2, 3]
    assert s.benefit.stop.effective_date == stopped_on
    assert await eventually(lambda: _paid_months(engine, s.case_id), lambda m: 4 in m) == [1, 4]
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):  # refused, or the run is over
        await h.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    month_5 = await eventually(
        lambda: [t for t in tasks_of(engine, s.case_id) if t.details.get("month") == 5],
        lambda t: bool(t) and t[0].status == "completed",
    )
    assert month_5[0].outcome == "case_stopped"
    # the claimant history (issue 11 §5): months 1-5 ran their course and month 6 had begun
    # before the stop; the rest of the entitlement is unused, for a later case to add
    assert s.review is not None and s.review.decision is not None
    ent = s.review.decision.entitlement
    assert ent is not None
    history = await eventually(lambda: _history(engine, s.case_id))
    assert history is not None
    assert (history.status, history.entitlement_months, history.used_months) == (
        "stopped",
        ent.months,
        6,
    )
    assert history.unused_months == ent.months - 6

    with Session(engine) as session:
        det = session.exec(
            select(Determination).where(Determination.key == f"{s.case_id}:check_in_stop")
        ).one()
        assert (det.kind, det.outcome, det.reasons) == (
            "check_in_stop",
            "stopped",
            ["missed_check_ins"],
        )
    told = await eventually(
        lambda: [n for n in notifications_of(engine, s.case_id) if "benefits_stopped" in n.key]
    )
    assert APPEAL_NOTICE_ZH in told[0].body and "第2、3个月" in told[0].body

    def notice_kinds() -> list[str]:
        with Session(engine) as session:
            return [kind for kind, _ in list_notices(session, s.case_id)]

    assert await eventually(notice_kinds, lambda k: "stop" in k) == ["decision", "stop"]
    with Session(engine) as session:
        notice = build_stop_notice(session, s.case_id)
        assert notice is not None
        html = notice_html(notice)
    assert "停止享受失业保险待遇决定书" in html and APPEAL_NOTICE_ZH in html
    assert "第三十三条" in html and "第2个月" in html and "第3个月" in html
    assert f"{stopped_on.year}年{stopped_on.month}月{stopped_on.day}日" in html
    assert "不设等待期" in html  # 范文1 §4.3: flexible-employment insurance at once

    # the medical cover (stage 6) stops with the benefits, from the stop's day (停保), and
    # the claimant is told they may continue at once without a waiting period
    s = await state_when(h, lambda s: s.medical is not None and s.medical.stopped)
    with Session(engine) as session:
        cover = session.exec(
            select(MedicalCoverage).where(MedicalCoverage.case_id == s.case_id)
        ).one()
    assert (cover.status, cover.stop_date) == ("stopping", stopped_on)
    medical = await eventually(
        lambda: [n for n in notifications_of(engine, s.case_id) if "medical_stopped" in n.key]
    )
    assert "无等待期" in medical[0].body
