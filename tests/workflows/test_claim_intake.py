"""ClaimWorkflow stages 1-2 on the time-skipping server (DOMAIN.md "Stages and deadlines")."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from payloads.tasks import CompleteTaskInput
from tests.utils import factories as f
from tests.utils.temporal import (
    advance,
    case_row,
    eventually,
    notifications_of,
    signal_case,
    state_when,
    tasks_of,
    today,
)
from workflows.claim import ClaimWorkflow


async def test_employer_first_then_registration_meet_in_one_case_in_review(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """Stage 1 then stage 2 (seed 002 art. 8): both entry points meet in `case-<id>`."""
    nid, sep = f.national_id(), (await today(env)) - f.days(3)
    h = await signal_case(env.client, task_queue, "c1" + nid[-6:], f.employer_report(nid, sep))
    # the status comes first, the deadline a moment later (planned by an activity)
    s = await state_when(
        h, lambda s: s.status == "awaiting_registration" and "registration" in s.deadlines
    )
    assert s.deadlines["registration"].start == sep
    h2 = await signal_case(env.client, task_queue, "c1" + nid[-6:], f.registration(nid, sep))
    assert h2.id == h.id
    s = await state_when(h, lambda s: s.status == "in_review")
    assert s.review is not None
    assert s.review.proposal.eligible is True
    assert s.review.proposal.months == 18  # 72 contribution months: 5 to <10 years (art. 46)
    assert str(s.review.proposal.monthly_amount) == "755.00"  # Changchun from 2023-10-01 (002)
    row = await eventually(
        lambda: case_row(engine, s.case_id), lambda r: r is not None and r.status == "in_review"
    )
    assert row is not None and row.national_id_masked == nid[:4] + "*" * 10 + nid[-4:]


async def test_claimant_first_then_employer_report_meet_in_one_case(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """Stage 2 before stage 1: the case starts on the claimant's side (DOMAIN.md stage 1)."""
    nid, sep = f.national_id(), (await today(env)) - f.days(2)
    case_id = "c2" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s = await state_when(h, lambda s: "employer_report" in s.deadlines)
    assert s.status == "awaiting_employer_report"
    assert s.deadlines["employer_report"].start == sep
    await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    s = await state_when(h, lambda s: s.status == "in_review")
    assert s.deadlines["registration"].met_on == s.intake.registration_date


async def test_registration_reminders_at_policy_offsets_then_lapse_at_day_30(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """Stage 2: reminders day 20 and 27 (policy 220100), lapse after day 30 (seed 000 art. 32)."""
    nid, sep = f.national_id(), await today(env)
    h = await signal_case(env.client, task_queue, "c3" + nid[-6:], f.employer_report(nid, sep))
    s = await state_when(h, lambda s: "registration" in s.deadlines)
    dl = s.deadlines["registration"]
    assert dl.reminders == [sep + f.days(20), sep + f.days(27)]
    await advance(env, 21)
    s = await state_when(h, lambda s: len(s.deadlines["registration"].reminders_sent) == 1)
    assert s.status == "awaiting_registration"
    await advance(env, 7)
    s = await state_when(h, lambda s: len(s.deadlines["registration"].reminders_sent) == 2)
    assert s.status == "awaiting_registration"
    await advance(env, (dl.due_date - sep).days - 28 + 1)
    s = await state_when(h, lambda s: s.status == "lapsed")
    assert s.closure_reason == "registration_deadline_missed"
    keys = await eventually(
        lambda: sorted(n.key.split(":", 1)[1] for n in notifications_of(engine, s.case_id)),
        lambda k: len(k) == 3,
    )
    assert keys == [
        "case_lapsed",
        f"registration_reminder:{(sep + f.days(20)).isoformat()}",
        f"registration_reminder:{(sep + f.days(27)).isoformat()}",
    ]


async def test_overdue_employer_report_opens_supervisor_task_at_day_15(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """Stage 1: remind on day 10, at the deadline a supervisor task (seed 000 art. 41)."""
    nid, sep = f.national_id(), await today(env)
    case_id = "c4" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s = await state_when(h, lambda s: "employer_report" in s.deadlines)
    due = s.deadlines["employer_report"].due_date
    assert s.deadlines["employer_report"].reminders == [sep + f.days(10)]
    await advance(env, (due - sep).days)  # on the due day itself: not yet overdue
    s = await state_when(h, lambda s: len(s.deadlines["employer_report"].reminders_sent) == 1)
    assert tasks_of(engine, case_id) == []
    await advance(env, 1)
    tasks = await eventually(lambda: tasks_of(engine, case_id))
    assert [(t.kind, t.group, t.status) for t in tasks] == [
        ("employer_report_overdue", "supervisor", "open")
    ]
    # the employer reports after all: the task closes by itself and the case goes on
    await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    await state_when(h, lambda s: s.status == "in_review")
    tasks = await eventually(
        lambda: tasks_of(engine, case_id), lambda ts: ts[0].status == "completed"
    )
    assert tasks[0].completed_by == "system"


async def test_late_registration_accepted_by_supervisor_goes_to_review(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """Stage 2: a lapsed case takes a late registration only with a supervisor's reason."""
    nid, sep = f.national_id(), await today(env)
    case_id = "c5" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    await state_when(h, lambda s: "registration" in s.deadlines)
    await advance(env, 40)
    await state_when(h, lambda s: s.status == "lapsed")
    await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s = await state_when(h, lambda s: any(t.kind == "late_registration" for t in s.tasks.values()))
    task_id = next(iter(t for t in s.tasks if t.startswith("late_registration")))
    done = await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=task_id,
            outcome="accept",
            actor="supervisor",
            actor_roles=["supervisor"],
            reason="hospitalised, certificate on file",
        ),
    )
    assert done.outcome == "accept"
    s = await state_when(h, lambda s: s.status == "in_review")
    assert s.closure_reason is None


async def test_deadline_rolls_over_national_day_holiday(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """民法典 art. 203: 2024-09-16 + 15 days = 2024-10-01 (National Day) → 2024-10-08."""
    nid, sep = f.national_id(), date(2024, 9, 16)
    h = await signal_case(env.client, task_queue, "c6" + nid[-6:], f.registration(nid, sep))
    s = await state_when(h, lambda s: "employer_report" in s.deadlines)
    assert s.deadlines["employer_report"].due_date == date(2024, 10, 8)
