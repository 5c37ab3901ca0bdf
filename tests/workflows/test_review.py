"""The review stage (DOMAIN.md stage 3, seed 002 art. 9) and task escalation, on the
time-skipping server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.identity import IdentityKeys
from core.settings import Settings
from db.claimant_history import record_closure
from db.engine import session_scope
from db.models import Determination
from payloads.case_io import ExtendDeadlineInput
from payloads.case_state import CaseState, Entitlement
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

REVIEWER: dict[str, Any] = {"actor": "reviewer", "actor_roles": ["reviewer"]}
SUPERVISOR: dict[str, Any] = {"actor": "supervisor", "actor_roles": ["supervisor"]}


async def _in_review(
    env: WorkflowEnvironment, task_queue: str, nid: str | None = None, **report: Any
) -> tuple[WorkflowHandle[Any, Any], CaseState]:
    nid, sep = nid or f.national_id(), await today(env)
    case_id = "rv" + nid[-8:]
    h = await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep, **report))
    await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s = await state_when(h, lambda s: any(t.kind == "review_claim" for t in s.tasks.values()))
    return h, s


def _review_task(s: CaseState) -> str:
    return next(t.task_id for t in s.tasks.values() if t.kind == "review_claim")


def _entitlement(s: CaseState) -> Entitlement:
    assert s.review is not None and s.review.decision is not None
    assert s.review.decision.entitlement is not None
    return s.review.decision.entitlement


@pytest.mark.parametrize(
    ("contribution", "carried", "months"),
    [(12, 0, 12), (59, 0, 12), (60, 0, 18), (119, 0, 18), (120, 0, 24), (60, 10, 24), (30, 5, 17)],
)
async def test_review_approved_within_15_days_makes_case_active_with_entitlement(
    env: WorkflowEnvironment,
    worker: Worker,
    engine: Engine,
    task_queue: str,
    settings: Settings,
    contribution: int,
    carried: int,
    months: int,
) -> None:
    """社会保险法 art. 46: 1-<5 years → 12, 5-<10 → 18, 10+ → 24 months; the unused months of
    the person's earlier case (the claimant history, never typed by the employer) are added
    up to 24 (DOMAIN.md stage 4)."""
    nid = f.national_id()
    if carried:  # an earlier case of the same person closed with months unused
        with session_scope(engine) as session:
            record_closure(
                session,
                case_id=f"earlier{nid[-8:]}",
                person_ref=IdentityKeys(settings.case_id_key).search_hash(nid),
                region_code="220100",
                status="stopped",
                entitlement_months=carried + 2,
                used_months=2,
                carried_in=0,
                carried_from=[],
                closed_on=None,
                at=datetime(2026, 1, 1, tzinfo=UTC),
            )
    h, s = await _in_review(env, task_queue, nid, contribution_months=contribution)
    assert s.review is not None and s.review.proposal.carried_months == carried
    assert s.deadlines["review"].due_date >= s.intake.registration_date  # type: ignore[operator]
    await advance(env, 5)
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(task_id=_review_task(s), outcome="approve", **REVIEWER),
    )
    s = await state_when(h, lambda s: s.status == "active")
    ent = _entitlement(s)
    assert ent.months == months
    assert str(ent.monthly_amount) == "755.00"
    assert ent.start_date == s.intake.registration_date
    assert s.deadlines["review"].met_on is not None
    with Session(engine) as session:
        det = await eventually(
            lambda: session.exec(
                select(Determination).where(Determination.key == f"{s.case_id}:review")
            ).first()
        )
        assert det is not None
        assert det.outcome == "approve" and det.actor == "reviewer"
        assert det.policy_version == "220100@2023-10-01" and det.code_version


async def test_reviewer_corrects_contribution_months_with_a_reason(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """The reviewer may correct contribution months, with a reason (issue: review stage)."""
    h, s = await _in_review(env, task_queue, contribution_months=30)
    task_id = _review_task(s)
    with pytest.raises(WorkflowUpdateFailedError):  # a correction without a reason
        await h.execute_update(
            ClaimWorkflow.complete_task,
            CompleteTaskInput(
                task_id=task_id, outcome="approve", data={"contribution_months": 130}, **REVIEWER
            ),
        )
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=task_id,
            outcome="approve",
            data={"contribution_months": 130},
            reason="employment record from the previous employer",
            **REVIEWER,
        ),
    )
    s = await state_when(h, lambda s: s.status == "active")
    assert _entitlement(s).months == 24
    assert s.review is not None and s.review.decision is not None
    assert s.review.decision.corrected_from == 30


async def test_review_rejected_closes_case_and_tells_the_claimant_with_appeal_rights(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """A rejection carries reasons and the right to administrative review (DOMAIN.md 3)."""
    h, s = await _in_review(env, task_queue, reason_code="voluntary_resignation")
    assert s.review is not None and s.review.proposal.eligible is False
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=_review_task(s),
            outcome="reject",
            reason="resignation letter on file",
            data={"reasons": ["voluntary_separation"]},
            **REVIEWER,
        ),
    )
    s = await state_when(h, lambda s: s.status == "rejected")
    assert s.closure_reason == "review_rejected"
    assert await h.result() is not None
    notes = await eventually(
        lambda: [n for n in notifications_of(engine, s.case_id) if "review_rejected" in n.key]
    )
    assert "本人意愿中断就业" in notes[0].body and "行政复议" in notes[0].body


async def test_no_decision_by_day_15_escalates_to_supervisors_who_then_decide(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """Seed 002 art. 9: 15 days to decide; overdue → supervisors' queue, notified."""
    h, s = await _in_review(env, task_queue)
    task_id = _review_task(s)
    due = s.deadlines["review"].due_date
    days_left = (due - s.intake.registration_date).days  # type: ignore[operator]
    await advance(env, days_left)  # the due day itself: reminded, not escalated
    s = await state_when(h, lambda s: len(s.tasks[task_id].reminders_sent) >= 1)
    assert not s.tasks[task_id].escalated
    await advance(env, 1)
    s = await state_when(h, lambda s: s.tasks[task_id].escalated)
    row = await eventually(
        lambda: tasks_of(engine, s.case_id), lambda ts: any(t.escalated for t in ts)
    )
    task = next(t for t in row if t.task_id == task_id)
    assert (task.group, task.original_group, task.priority) == ("supervisor", "reviewer", 80)
    notes = await eventually(
        lambda: [n.recipient for n in notifications_of(engine, s.case_id) if "escalated" in n.key]
    )
    assert "supervisor@ui-agency.example" in notes
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(task_id=task_id, outcome="approve", **SUPERVISOR),
    )
    s = await state_when(h, lambda s: s.status == "active")
    assert s.deadlines["review"].missed


async def test_supervisor_extends_review_deadline_and_the_timer_moves(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """A running deadline moves with a supervisor's reason; escalation follows the new date."""
    h, s = await _in_review(env, task_queue)
    task_id = _review_task(s)
    old_due = s.deadlines["review"].due_date
    with pytest.raises(WorkflowUpdateFailedError):
        await h.execute_update(
            ClaimWorkflow.extend_deadline,
            ExtendDeadlineInput(kind="review", days=10, reason="x", **REVIEWER),
        )
    dl = await h.execute_update(
        ClaimWorkflow.extend_deadline,
        ExtendDeadlineInput(
            kind="review", days=10, reason="awaiting employer records", **SUPERVISOR
        ),
    )
    assert (dl.due_date - old_due).days == 10
    await advance(env, (old_due - s.intake.registration_date).days + 2)  # type: ignore[operator]
    s = await state_when(h, lambda s: s.deadlines["review"].extensions != [])
    assert not s.tasks[task_id].escalated
    await advance(env, 10)
    s = await state_when(h, lambda s: s.tasks[task_id].escalated)
    ext = s.deadlines["review"].extensions[0]
    assert ext.by == "supervisor" and ext.reason == "awaiting employer records"
