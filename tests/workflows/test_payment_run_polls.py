"""A payment run whose bank never delivers its webhook (issue 9 §8): the fallback poll waits
until the bank can first have booked the run (its acceptance plus BANK_BOOKING_HOURS,
workflows/bank_polls.py), then comes every 6 hours; a run that saw no return records itself
completed with the ledger's last look (DOMAIN.md "Money": the webhook first, polling the
fallback). The bank here is real, on the time-skipping server's clock, its webhook pointed
at a port where nobody listens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bank.config import BankConfig
from bank.testing import serve_bank
from core.settings import Settings
from policy import PolicyBook
from tests.browser.conftest import free_port
from tests.utils.temporal import advance, today
from tests.workflows.test_payment_run import (
    SECRET,
    _activity_events,
    _keep,
    _payments_by_e2e,
    _replayer,
    _seed_obligations,
    _start_released_run,
    state_when_run,
)
from worker import create_worker

BOOKING_HOURS = 8  # past the 6 hours between polls: a poll before the booking would show


@pytest.fixture
def quiet_bank(
    env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    book: PolicyBook,
    task_queue: str,
    tmp_path: Path,
) -> Callable[[float], AbstractAsyncContextManager[Worker]]:
    """A worker against a bank settling `settle_hours` after acceptance whose webhook goes
    nowhere; our side expects a booking BOOKING_HOURS after acceptance."""
    target = env.client.service_client.config.target_host

    @asynccontextmanager
    async def start(settle_hours: float) -> AsyncIterator[Worker]:
        config = BankConfig(
            db_path=tmp_path / "bank.db",
            webhook_url=f"http://127.0.0.1:{free_port()}/nobody-listens",
            webhook_secret=SECRET,
            settle_hours=settle_hours,
            clock=f"temporal:{target}",
            tick_seconds=0.05,
        )
        with serve_bank(config) as bank:
            ours = settings.model_copy(
                update={
                    "task_queue": task_queue,
                    "temporal_address": target,
                    "bank_url": bank.url,
                    "bank_webhook_secret": SECRET,
                    "bank_booking_hours": BOOKING_HOURS,
                }
            )
            async with create_worker(
                env.client,
                settings=ours,
                engine=engine,
                book=book,
                task_queue=task_queue,
                fail_fast=True,
            ) as worker:
                yield worker

    return start


def _times(history: WorkflowHistory, activity: str, what: str = "scheduled") -> list[datetime]:
    """When each `activity` was scheduled (or completed), in history order."""
    names: dict[int, str] = {}
    out: list[datetime] = []
    for e in history.events:
        if e.HasField("activity_task_scheduled_event_attributes"):
            names[e.event_id] = e.activity_task_scheduled_event_attributes.activity_type.name
            if what == "scheduled" and names[e.event_id] == activity:
                out.append(e.event_time.ToDatetime().replace(tzinfo=None))
        elif e.HasField("activity_task_completed_event_attributes"):
            sid = e.activity_task_completed_event_attributes.scheduled_event_id
            if what == "completed" and names[sid] == activity:
                out.append(e.event_time.ToDatetime().replace(tzinfo=None))
    return out


def _workflow_tasks(history: WorkflowHistory) -> int:
    return sum(e.HasField("workflow_task_completed_event_attributes") for e in history.events)


async def _polls(run: WorkflowHandle[Any, Any], want: int) -> None:
    for _ in range(600):  # a generous bound for a loaded machine, not a timing check
        history = await run.fetch_history()
        if _activity_events(history).count(("poll_run", "completed")) >= want:
            return
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("settle_hours", "polls"),
    [(BOOKING_HOURS, 1), (BOOKING_HOURS + 2, 2)],
    ids=["booked-on-time", "booked-late"],
)
async def test_without_a_webhook_the_run_polls_first_when_the_bank_can_have_booked(
    env: WorkflowEnvironment,
    engine: Engine,
    task_queue: str,
    quiet_bank: Callable[[float], AbstractAsyncContextManager[Worker]],
    settle_hours: float,
    polls: int,
) -> None:
    """No poll in the 6 hours' rhythm before the bank can have booked (acceptance + 8 h
    here); one poll then settles a run booked on time, and a bank booking later than it
    should is found by the next poll 6 hours on; the run then completes with one local
    activity (complete_unless_returned), not a look for returns and a status write in a row,
    inside the poll's workflow task."""
    prefix = f"poll{task_queue[-6:]}"
    e2e_ids = _seed_obligations(engine, prefix, 2, await today(env), 0)
    async with quiet_bank(settle_hours):
        run_id, run = await _start_released_run(env, engine, task_queue, prefix)
        await state_when_run(engine, run, lambda st: st.status == "submitted")
        await advance(env, (BOOKING_HOURS - 0.5) / 24)  # past the old first poll (6 h)
        early = await run.fetch_history()
        assert ("poll_run", "scheduled") not in _activity_events(early)
        await advance(env, 1 / 24 + (polls - 1) * 6 / 24)
        await _polls(run, polls)
        await state_when_run(engine, run, lambda st: st.status == "completed", timeout=120)
        await run.result()  # the row is written inside the run's last workflow task: its end
        history = await run.fetch_history()
    await _replayer().replay_workflow(history)
    if polls == 1:
        await _keep("settled_by_one_poll_local_steps", run)
    assert {p.status for p in _payments_by_e2e(engine, e2e_ids)} == {"settled"}
    asked = _times(history, "poll_run")
    sent_from = _times(history, "submit_run")[0]
    sent_by = _times(history, "submit_run", "completed")[0]
    booking = timedelta(hours=BOOKING_HOURS)
    assert len(asked) == polls, asked
    assert sent_from + booking <= asked[0] <= sent_by + booking + timedelta(minutes=1), asked
    for before, after in zip(asked, asked[1:], strict=False):
        assert after - before >= timedelta(hours=6), asked
    events = [(name, what) for name, what in _activity_events(history) if what != "completed"]
    assert events[-1] == ("complete_unless_returned", "local"), events
    names = [name for name, _ in events]
    assert "returns_awaiting_decision" not in names
    assert names.count("set_run_status") == 1, events  # "released" only
    # run-local-steps: the bank's calls are the only activity tasks; the rest is local
    assert {name for name, what in events if what == "scheduled"} == {"submit_run", "poll_run"}
    # the gathering and release task; the release, its status and the submission; the
    # submission's answer; the daily reconciliation told; each poll's timer and answer
    assert _workflow_tasks(history) == 4 + 2 * polls, _workflow_tasks(history)
