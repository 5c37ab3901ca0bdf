"""What a benefit month costs when the claimant does nothing (issue 9 §8): one approved case,
never checked in, nobody decides its `missed_check_in` tasks; six months of simulated time.
Counted per run of its chain (one run per benefit month): workflow tasks, activity tasks,
local activities (markers), timers, history events, continue-as-news. `IDLE_PROBE=<file>`
writes them there (bench/idle_month.py; its figures in bench/README.md). The chain is
recorded for the replay tests (`RECORD_HISTORIES=1`,
tests/histories/claim/idle_months_local_writes/)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from payloads.tasks import CompleteTaskInput
from tests.utils import factories as f
from tests.utils.temporal import (
    CONVERTER,
    advance,
    chain_of,
    local_activities,
    local_activity_of,
    notifications_of,
    scheduled_activities,
    signal_case,
    state_when,
    tasks_of,
    today,
)
from workflows.claim import ClaimWorkflow

IDLE_MONTHS = 6
CHAIN = Path(__file__).resolve().parent.parent / "histories" / "claim" / "idle_months_local_writes"
KEYS = (
    "workflow tasks",
    "activity tasks",
    "local activities",
    "syncs",
    "timers",
    "events",
    "continue-as-new",
    "bytes",
)


async def _approved(env: WorkflowEnvironment, task_queue: str) -> WorkflowHandle[Any, Any]:
    nid, sep = f.national_id(), await today(env)
    case_id = "idle" + nid[-6:]
    await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    h = await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s = await state_when(h, lambda s: any(t.kind == "review_claim" for t in s.tasks.values()))
    task_id = next(t for t in s.tasks if t.startswith("review_claim"))
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=task_id, outcome="approve", actor="reviewer", actor_roles=["reviewer"]
        ),
    )
    return h


def count(history: WorkflowHistory) -> Counter[str]:
    c: Counter[str] = Counter()
    c["events"] = len(history.events)
    for e in history.events:
        if e.HasField("workflow_task_completed_event_attributes"):
            c["workflow tasks"] += 1
        elif e.HasField("timer_started_event_attributes"):
            c["timers"] += 1
        elif e.HasField("workflow_execution_continued_as_new_event_attributes"):
            c["continue-as-new"] += 1
    c["activity tasks"] = len(scheduled_activities(history))
    c["local activities"] = len(local_activities(history))
    c["syncs"] = local_activities(history).count("sync_case")  # the whole state each
    c["bytes"] = len(history.to_json())
    return c


def events_of(history: WorkflowHistory) -> list[str]:
    """One run's events, one line each, for reading."""
    lines = []
    for e in history.events:
        extra = ""
        if e.HasField("activity_task_scheduled_event_attributes"):
            extra = e.activity_task_scheduled_event_attributes.activity_type.name
        elif e.HasField("timer_started_event_attributes"):
            extra = str(e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta())
        elif e.HasField("marker_recorded_event_attributes"):
            extra = local_activity_of(e) or e.marker_recorded_event_attributes.marker_name
        at = e.event_time.ToDatetime().isoformat(timespec="minutes")
        lines.append(f"{at} {e.WhichOneof('attributes')} {extra}")
    return lines


async def idle_chain(
    env: WorkflowEnvironment, task_queue: str
) -> tuple[str, list[WorkflowHistory]]:
    """An approved case left idle until IDLE_MONTHS months have ended unchecked; its case id
    and the histories of its runs (the first: intake, review and the approval's month)."""
    h = await _approved(env, task_queue)
    latest = env.client.get_workflow_handle(h.id)
    s = await state_when(latest, lambda s: s.benefit is not None)
    assert s.benefit is not None
    first = s.benefit.current
    last = s.benefit.months[first + IDLE_MONTHS - 1]  # the month after the approval's
    await advance(env, (last.end - await today(env)).days + 1)
    s = await state_when(
        latest, lambda s: s.benefit is not None and s.benefit.current == last.month + 1
    )
    assert s.benefit is not None
    missed = [m.month for m in s.benefit.months if m.status == "missed"]
    assert missed == list(range(first + 1, last.month + 1))
    runs = await chain_of(env, h)
    return s.case_id, runs


def keep(path: str, counts: list[Counter[str]], runs: list[WorkflowHistory]) -> None:
    """The counts of each run and the events of each (bench/idle_month.py reads them)."""
    Path(path).write_text(
        json.dumps({"runs": [dict(c) for c in counts], "events": [events_of(r) for r in runs]})
    )


async def test_an_idle_month_takes_no_activity_task_and_five_workflow_tasks(
    env: WorkflowEnvironment, worker: Worker, task_queue: str, engine: Engine
) -> None:
    """An idle month: the reminder to check in (seed 000: told before the month ends), at its
    end the missed check-in's clerk task, that task's reminder and escalation to the
    supervisors. Patched `case-local-writes`: every write a local activity inside the workflow
    task its timer wakes, so a month is five workflow tasks (its start and four timers) and
    no activity task; before it nine and four; and three syncs of the read model, not four.
    The office sees the same rows."""
    case_id, runs = await idle_chain(env, task_queue)
    counts = [count(r) for r in runs]
    if os.environ.get("IDLE_PROBE"):  # a file to write the figures to (before asserting)
        keep(os.environ["IDLE_PROBE"], counts, runs)
    idle = counts[2 : 2 + IDLE_MONTHS - 1]  # runs that start and end with a missed month
    assert len(idle) == IDLE_MONTHS - 1
    for c in idle:
        assert c["activity tasks"] == 0, c
        assert c["workflow tasks"] == 5, c
        assert c["timers"] == 4 and c["continue-as-new"] == 1, c
        assert c["syncs"] == 3, c  # the missed month's event and its task's in one sync
    assert all(count(r)["activity tasks"] == 0 for r in runs[1:])
    # the office's view: one reminder notice a month, one escalated clerk task a month
    missed = [t for t in tasks_of(engine, case_id) if t.kind == "missed_check_in"]
    assert len(missed) == IDLE_MONTHS
    assert sum(t.escalated for t in missed) == IDLE_MONTHS - 1  # the last one is not due yet
    assert all(t.status != "completed" for t in missed)
    reminders = [n for n in notifications_of(engine, case_id) if "check_in_reminder" in n.key]
    assert len(reminders) == IDLE_MONTHS

    replayer = Replayer(workflows=[ClaimWorkflow], data_converter=CONVERTER)
    for i, history in enumerate(runs, 1):
        if os.environ.get("RECORD_HISTORIES"):
            CHAIN.mkdir(parents=True, exist_ok=True)
            (CHAIN / f"run_{i:02d}.json").write_text(history.to_json())
        await replayer.replay_workflow(history)
