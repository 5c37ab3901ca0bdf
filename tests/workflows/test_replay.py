"""Replay: recorded histories in tests/histories/ must replay on today's workflow code, so an
incompatible change fails CI, not production (ARCHITECTURE.md "Long-running workflows").

Record them with `RECORD_HISTORIES=1 make test PYTEST_ARGS=tests/workflows/test_replay.py`
and commit them. They go to tests/histories/claim/; a 24-month case, every run of its chain
of continue-as-new (one per benefit month), to tests/histories/claim/24_months_local_steps/.
Histories of older code stay and replay: tests/histories/claim/24_months/ and
benefit_month_continue_as_new.json were recorded before `month-local-steps` (a month's price
and obligation as two activity tasks); every history here but idle_months_local_writes/
(tests/workflows/test_idle_month.py) before `case-local-writes` (the case's worklist writes
and notices as activity tasks); transfer_check_in_before_acceptance_old_code.json before a
destination's check-ins were kept with the carried months (its claimant checks in again after
the acceptance, which today's validator refuses: validators do not run on replay)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from db.calendar_years import store_year
from domain.calendar import AGENCY_TZ
from domain.calendar_documents import parse_year_document
from payloads.case_io import CalendarChanged, CheckInInput
from payloads.case_state import CaseState
from payloads.tasks import CompleteTaskInput
from tests.utils import factories as f
from tests.utils.calendar_years import fixture_days, fixture_toml, no_loaded_years
from tests.utils.temporal import (
    CONVERTER,
    advance,
    local_activities,
    scheduled_activities,
    signal_case,
    state_when,
    today,
)
from workflows.claim import ClaimWorkflow

HISTORIES = Path(__file__).resolve().parent.parent / "histories" / "claim"
OLD_CHAIN = HISTORIES / "24_months"  # before month-local-steps
CHAIN = HISTORIES / "24_months_local_steps"
IDLE_CHAIN = HISTORIES / "idle_months_local_writes"  # case-local-writes: test_idle_month.py
# task-reminder-beside: tests/workflows/test_mail_outage.py (weeks without mail)
MAIL_CHAINS = [HISTORIES / "mail_outage", HISTORIES / "reminder_taken_up"]
RECORDED = [
    *sorted(HISTORIES.glob("*.json")),
    *sorted(OLD_CHAIN.glob("*.json")),
    *sorted(CHAIN.glob("*.json")),
    *sorted(IDLE_CHAIN.glob("*.json")),
    *sorted(p for chain in MAIL_CHAINS for p in chain.glob("*.json")),
]
MONTHS = 24


def _replayer() -> Replayer:
    return Replayer(workflows=[ClaimWorkflow], data_converter=CONVERTER)


def _save(path: Path, history: WorkflowHistory) -> WorkflowHistory:
    if os.environ.get("RECORD_HISTORIES"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(history.to_json())
    return history


async def _keep(name: str, handle: WorkflowHandle[Any, Any]) -> WorkflowHistory:
    return _save(HISTORIES / f"{name}.json", await handle.fetch_history())


def test_histories_are_recorded() -> None:
    """The replay tests below have something to replay: the intake, review and month
    boundary cases, and each of the 24 runs of a full entitlement."""
    names = {p.stem for p in HISTORIES.glob("*.json")}
    assert {"intake_lapse_late_accept", "intake_employer_overdue"} <= names
    assert {"review_escalated_approved", "benefit_month_continue_as_new"} <= names
    assert "benefit_month_local_steps_continue_as_new" in names  # month-local-steps
    assert "benefit_month_owed_as_ledger_continue_as_new" in names  # month-owed-as-ledger
    assert "calendar_recomputed" in names
    assert "check_ins_stopped" in names
    # the medical stage and transfers (issue 12): tests/workflows/test_medical_stage.py and
    # tests/workflows/test_transfers.py record them
    assert {"medical_cover_stopped", "medical_cash_option"} <= names
    assert {
        "transfer_in_province",
        "transfer_cross_province_source",
        "transfer_cross_province_destination",
    } <= names
    # a check-in at the destination before the acceptance (tests/workflows/
    # test_transfer_check_in.py), and the same recorded on the code before it was kept
    assert {
        "transfer_check_in_before_acceptance",
        "transfer_check_in_before_acceptance_old_code",
    } <= names
    assert len(list(OLD_CHAIN.glob("run_*.json"))) == MONTHS
    assert len(list(CHAIN.glob("run_*.json"))) == MONTHS
    assert len(list(IDLE_CHAIN.glob("run_*.json"))) == 8  # intake to six idle months
    assert all(len(list(chain.glob("run_*.json"))) >= 2 for chain in MAIL_CHAINS)


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json("recorded", path.read_text())
    await _replayer().replay_workflow(history)


async def test_fresh_intake_histories_replay(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """Employer first, lapse, late registration accepted, review: replays deterministically."""
    nid, sep = f.national_id(), await today(env)
    case_id = "r1" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    await state_when(h, lambda s: "registration" in s.deadlines)
    await advance(env, 35)
    await state_when(h, lambda s: s.status == "lapsed")
    await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s = await state_when(h, lambda s: bool(s.tasks))
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=next(iter(s.tasks)),
            outcome="accept",
            actor="supervisor",
            actor_roles=["supervisor"],
            reason="certificate",
        ),
    )
    await state_when(h, lambda s: s.status == "in_review")
    await _replayer().replay_workflow(await _keep("intake_lapse_late_accept", h))

    nid2, sep = f.national_id(), await today(env)
    h2 = await signal_case(env.client, task_queue, "r2" + nid2[-6:], f.registration(nid2, sep))
    await state_when(h2, lambda s: "employer_report" in s.deadlines)
    await advance(env, 17)
    await state_when(h2, lambda s: bool(s.tasks))
    await signal_case(env.client, task_queue, "r2" + nid2[-6:], f.employer_report(nid2, sep))
    await state_when(h2, lambda s: s.status == "in_review")
    await _replayer().replay_workflow(await _keep("intake_employer_overdue", h2))


async def _approved(
    env: WorkflowEnvironment, task_queue: str, case_id: str, contribution_months: int = 72
) -> WorkflowHandle[Any, Any]:
    nid, sep = f.national_id(), await today(env)
    report = f.employer_report(nid, sep, contribution_months=contribution_months)
    h = await signal_case(env.client, task_queue, case_id + nid[-6:], report)
    await signal_case(env.client, task_queue, case_id + nid[-6:], f.registration(nid, sep))
    s = await state_when(h, lambda s: any(t.kind == "review_claim" for t in s.tasks.values()))
    task_id = next(t for t in s.tasks if t.startswith("review_claim"))
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=task_id, outcome="approve", actor="reviewer", actor_roles=["reviewer"]
        ),
    )
    return h


async def test_fresh_review_history_replays(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """Review escalated past day 15, supervisor approves."""
    nid, sep = f.national_id(), await today(env)
    case_id = "r3" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s = await state_when(h, lambda s: any(t.kind == "review_claim" for t in s.tasks.values()))
    task_id = next(t for t in s.tasks if t.startswith("review_claim"))
    await advance(env, 20)
    await state_when(h, lambda s: s.tasks[task_id].escalated)
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=task_id, outcome="approve", actor="supervisor", actor_roles=["supervisor"]
        ),
    )
    await state_when(h, lambda s: s.status == "active")
    await _replayer().replay_workflow(await _keep("review_escalated_approved", h))


async def test_month_boundary_continue_as_new_replays(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """A benefit month checked in, owed (its price and obligation as local activities:
    markers, no activity tasks), then continue-as-new carrying the whole state."""
    h = await _approved(env, task_queue, "r4")
    s = await state_when(h, lambda s: s.benefit is not None)
    await h.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    assert s.benefit is not None
    await advance(env, (s.benefit.months[0].end - await today(env)).days + 1)
    latest = env.client.get_workflow_handle(h.id)
    s = await state_when(latest, lambda s: s.benefit is not None and s.benefit.current == 2)
    assert s.benefit is not None and s.benefit.months[0].owed
    first_run = env.client.get_workflow_handle(h.id, run_id=h.result_run_id)
    history = await first_run.fetch_history()
    assert "month_amount" not in scheduled_activities(history)
    assert "owe_obligation" not in scheduled_activities(history)
    assert local_activities(history).count("owe_obligation") == 1  # month-owed-as-ledger
    assert _same_workflow_task(history, "month_amount", "owe_obligation")
    # (benefit_month_continue_as_new.json: before month-local-steps, two activity tasks;
    # benefit_month_local_steps_continue_as_new.json: before month-owed-as-ledger)
    _save(HISTORIES / "benefit_month_owed_as_ledger_continue_as_new.json", history)
    await _replayer().replay_workflow(history)
    await _replayer().replay_workflow(await latest.fetch_history())


def _same_workflow_task(history: WorkflowHistory, *names: str) -> bool:
    """The local activities `names` were recorded by one workflow task (no task completed
    between their markers)."""
    tasks, seen = 0, dict[str, int]()
    for e in history.events:
        if e.HasField("workflow_task_completed_event_attributes"):
            tasks += 1
        elif e.HasField("marker_recorded_event_attributes"):
            for name in local_activities(WorkflowHistory(history.workflow_id, [e])):
                seen.setdefault(name, tasks)
    return all(name in seen for name in names) and len({seen[n] for n in names}) == 1


def _running(month: int) -> Callable[[CaseState], bool]:
    return lambda s: s.benefit is not None and s.benefit.current == month


def _next_run(history: WorkflowHistory) -> str | None:
    """The run a history continued as new into, if it did."""
    last = history.events[-1]
    if last.HasField("workflow_execution_continued_as_new_event_attributes"):
        return last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    return None


async def test_a_24_month_case_replays_across_every_continue_as_new(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """10+ years of contributions: 24 months (社会保险法 art. 46), checked in every month, one
    run per month; every run of the chain replays, and the last closes the case exhausted."""
    h = await _approved(env, task_queue, "r5", contribution_months=130)
    latest = env.client.get_workflow_handle(h.id)
    s = await state_when(latest, lambda s: s.benefit is not None)
    assert s.benefit is not None and len(s.benefit.months) == MONTHS
    for month in s.benefit.months:
        await state_when(latest, _running(month.month))
        now = await today(env)
        if now < month.start + timedelta(days=1):
            await advance(env, (month.start - now).days + 1)
        done = await latest.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
        assert done.month == month.month
        await advance(env, (month.end - await today(env)).days + 1)
    s = await state_when(latest, lambda s: s.status == "exhausted")
    assert s.benefit is not None
    assert [m.status for m in s.benefit.months] == ["checked_in"] * MONTHS
    assert all(m.owed for m in s.benefit.months)

    run_id: str | None = h.result_run_id
    runs = 0
    while run_id is not None:
        runs += 1
        history = await env.client.get_workflow_handle(h.id, run_id=run_id).fetch_history()
        assert "owe_obligation" not in scheduled_activities(history)  # month-local-steps
        await _replayer().replay_workflow(_save(CHAIN / f"run_{runs:02d}.json", history))
        run_id = _next_run(history)
    assert runs == MONTHS


async def _decide_miss(h: WorkflowHandle[Any, Any], month: int, outcome: str) -> None:
    s = await state_when(
        h, lambda s: s.benefit is not None and bool(s.benefit.months[month - 1].task_id)
    )
    assert s.benefit is not None
    task_id = s.benefit.months[month - 1].task_id
    assert task_id is not None
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=task_id, outcome=outcome, actor="clerk", actor_roles=["clerk"], reason="x"
        ),
    )


async def test_check_ins_stopped_history_replays(
    env: WorkflowEnvironment, worker: Worker, task_queue: str
) -> None:
    """Months 2 and 3 missed, their decisions left open while month 4 is checked in, month 5
    missed; then both judged unexcused: the case stops (seed 000 art. 33), month 5's task
    closed unjudged, the stop kept and told. The run that stops replays."""
    h = await _approved(env, task_queue, "r7")
    latest = env.client.get_workflow_handle(h.id)
    s = await state_when(latest, lambda s: s.benefit is not None)
    assert s.benefit is not None
    months = s.benefit.months
    await advance(env, (months[3].start - await today(env)).days + 1)
    await state_when(latest, _running(4))
    await latest.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    await advance(env, (months[5].start - await today(env)).days + 1)
    await state_when(latest, _running(6))
    await _decide_miss(latest, 2, "not_excused")
    await _decide_miss(latest, 3, "not_excused")
    await state_when(latest, lambda s: s.status == "stopped")
    await latest.result()
    await _replayer().replay_workflow(await _keep("check_ins_stopped", latest))


async def test_calendar_recompute_history_replays(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, engine: Engine
) -> None:
    """A review deadline in a (made-up) year not loaded, recomputed when the year is loaded
    (`calendar_changed`), its review task's due time moved."""
    await env.sleep(datetime(2033, 9, 20, 9, tzinfo=AGENCY_TZ) - await env.get_current_time())
    nid, sep = f.national_id(), await today(env)
    case_id = "r6" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s = await state_when(h, lambda s: any(t.kind == "review_claim" for t in s.tasks.values()))
    assert s.deadlines["review"].provisional
    text = fixture_toml(2033, fixture_days(date(2033, 10, 1), 7))
    with no_loaded_years(engine):
        stored = store_year(
            engine,
            parse_year_document(text),
            document=text,
            document_format="toml",
            actor="admin",
            at=await env.get_current_time(),
        )
        await h.signal(
            ClaimWorkflow.calendar_changed, CalendarChanged(year=2033, version=stored.version)
        )
        s = await state_when(h, lambda s: not s.deadlines["review"].provisional)
    assert s.deadlines["review"].due_date == date(2033, 10, 10)  # after the block's weekend
    await _replayer().replay_workflow(await _keep("calendar_recomputed", h))
