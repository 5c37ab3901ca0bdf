"""A mail server down for weeks against a running case (workflows/local_steps.py
`EXTERNAL_RETRY`): the case's notices are local activities whose retries wait on workflow
timers, each retry a few events of the case's history, so their backoff is capped at 6 hours.

An approved case misses a month's check-in while the mail server (a port bound by nobody's
listener: connections refused) is down; the claimant's reminder gives up (NOTIFY_RETRY) as
one `notification_failed`; the missed check-in's clerk task is reminded and escalated to the
supervisors while the mail is still down, across the next month's turn; the claimant checks
in meanwhile. The mail comes back (the SMTP sink started on that port): the escalation goes
out once. Every run of the case's chain keeps a history bounded by the cap: retries at most
6 hours apart, ~4 a day, after the first ones (1 s doubling up to the cap)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.client import WorkflowHandle, WorkflowHistory, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from core.heartbeat import heartbeat_loop, worker_alive
from core.settings import Settings
from db.models import CaseEvent
from notifications.channels import message_id_for
from notifications.smtp_sink import SinkHandle, start_sink
from payloads.case_io import CheckInInput
from policy import POLICY_DIR, PolicyBook, load_policy_book
from tests.conftest import ROOT
from tests.utils.temporal import (
    CONVERTER,
    advance,
    chain_of,
    notifications_of,
    state_when,
    tasks_of,
    today,
)
from tests.workflows.test_idle_month import _approved
from worker import create_worker
from workflows.claim import ClaimWorkflow
from workflows.claim.benefit_months import month_end_instant

# the cap on a notice's retry interval (workflows/local_steps.py EXTERNAL_RETRY), as a figure:
# the history is measured against it, not against the code's own setting
CAP = timedelta(hours=6)
# the first retries of a notice, 1 s doubling, before they reach the cap (6 h = 21600 s: 15)
BURST = 16
# the events one retry on a timer adds: timer started and fired, a workflow task (3 events);
# the marker of the last attempt is in MONTH_EVENTS
PER_RETRY = 5
# the task's notices that may retry in one run: its reminder, then its escalation
NOTICES = 2
# a run's own events: its month's (~60 idle), a claimant notice given up (NOTIFY_RETRY: 20
# attempts, ~100 events), the intake in the first run; here 136 to 217, with room
MONTH_EVENTS = 250


@pytest.fixture
def mail_port() -> Iterator[socket.socket]:
    """A port bound and not listening: a connection to it is refused, and nobody else gets it
    until the sink takes it over (closing this socket first)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    yield s
    s.close()


@contextlib.asynccontextmanager
async def worker_on(
    env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    book: PolicyBook,
    task_queue: str,
    mail_port: socket.socket,
) -> AsyncIterator[None]:
    """A real worker whose mail goes to `mail_port`."""
    down = settings.model_copy(update={"smtp_port": mail_port.getsockname()[1]})
    w = create_worker(env.client, settings=down, engine=engine, book=book, task_queue=task_queue)
    async with w:
        beating = asyncio.create_task(heartbeat_loop(engine, task_queue))
        while not worker_alive(engine, task_queue):
            await asyncio.sleep(0.01)
        try:
            yield
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating


@pytest.fixture
async def outage_worker(
    env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    book: PolicyBook,
    task_queue: str,
    mail_port: socket.socket,
) -> AsyncIterator[None]:
    async with worker_on(env, settings, engine, book, task_queue, mail_port):
        yield


def mail_back(mail_port: socket.socket, maildir: Path) -> SinkHandle:
    """The mail server back: the SMTP sink on the port nobody listened on."""
    port = mail_port.getsockname()[1]
    mail_port.close()
    return start_sink("127.0.0.1", port, maildir)


def failed_notices(engine: Engine, case_id: str) -> list[str]:
    """The keys of the case's `notification_failed` events, sorted."""
    with Session(engine) as session:
        failed = session.exec(
            select(CaseEvent).where(
                CaseEvent.case_id == case_id, CaseEvent.type == "notification_failed"
            )
        ).all()
    return sorted(str(e.data.get("key")) for e in failed)


def bound(history: WorkflowHistory) -> int:
    """The most events a run may hold: its month's own, and the retries of the task's notices
    while the mail is down: one notice at a time (the reminder gives up at the due time, the
    escalation follows), each starting with a burst of first retries, then at most one retry
    every 6 hours (the cap) over the run's span."""
    first, last = (e.event_time.ToDatetime() for e in (history.events[0], history.events[-1]))
    retries = NOTICES * BURST + int((last - first) / CAP) + 1
    return MONTH_EVENTS + PER_RETRY * retries


HISTORIES = ROOT / "tests" / "histories" / "claim"


def keep(name: str, runs: list[WorkflowHistory]) -> None:
    """With RECORD_HISTORIES=1, the runs to tests/histories/claim/<name>/ (replayed by
    tests/workflows/test_replay.py on every later code: the patch `task-reminder-beside`)."""
    if not os.environ.get("RECORD_HISTORIES"):
        return
    folder = HISTORIES / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i, history in enumerate(runs, 1):
        (folder / f"run_{i:02d}.json").write_text(history.to_json())


def assert_bounded(runs: list[WorkflowHistory]) -> None:
    for i, history in enumerate(runs, 1):
        limit = bound(history)
        assert len(history.events) <= limit, (i, len(history.events), limit)


async def update_completed(h: WorkflowHandle[Any, Any], update_id: str) -> bool:
    history = await h.fetch_history()
    return any(
        e.workflow_execution_update_completed_event_attributes.meta.update_id == update_id
        for e in history.events
        if e.HasField("workflow_execution_update_completed_event_attributes")
    )


def mails_with(maildir: Path, message_id: str) -> int:
    parser = BytesHeaderParser()
    return sum(
        1
        for p in maildir.glob("*.eml")
        if parser.parsebytes(p.read_bytes())["Message-ID"] == message_id
    )


async def test_weeks_without_mail_keep_the_case_running_and_its_history_bounded(
    env: WorkflowEnvironment,
    outage_worker: None,
    engine: Engine,
    task_queue: str,
    mail_port: socket.socket,
    tmp_path: Path,
) -> None:
    down_since = await env.get_current_time()
    h = await _approved(env, task_queue)  # its approval notice: the mail is already down
    latest = env.client.get_workflow_handle(h.id)
    s = await state_when(latest, lambda s: s.benefit is not None)
    assert s.benefit is not None
    missed = s.benefit.months[s.benefit.current]  # the next month: not checked in
    turn = s.benefit.months[missed.month]  # the month after it: the outage crosses its end
    # past the missed month's end: its claimant reminder gave up, its clerk task is open
    await advance(env, (missed.end - await today(env)).days + 1)
    s = await state_when(
        latest, lambda s: s.benefit is not None and s.benefit.current == turn.month
    )
    task_id = f"missed_check_in-{s.case_id}-{missed.month}"
    task = s.tasks[task_id]
    assert task.due_at is not None and task.reminders and task.due_at < month_end_instant(turn)
    # to the task's reminder (a day before its due time), then its first retries, 2 hours at
    # a time: without the cap a retry a minute or so, and the bound fails in the first steps
    await advance(env, (task.reminders[0] - await env.get_current_time()) / timedelta(days=1))
    for _ in range(6):
        await advance(env, 2 / 24)
        assert_bounded(await chain_of(env, h))
    # half a day past the task's due time: its reminder never went out
    await advance(env, (task.due_at - await env.get_current_time()) / timedelta(days=1) + 0.5)
    assert_bounded(await chain_of(env, h))
    # the task escalated at its due time all the same: the supervisors' queue has it
    s = await state_when(latest, lambda s: s.tasks[task_id].escalated)
    row = next(t for t in tasks_of(engine, s.case_id) if t.task_id == task_id)
    assert row.escalated and row.group == "supervisor"
    # the claimant checks in for the running month: accepted and answered, mail or not
    update_id = f"check-in-{uuid.uuid4().hex[:8]}"
    checking = await latest.start_update(
        ClaimWorkflow.check_in,
        CheckInInput(actor="clerk"),
        id=update_id,
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
    )
    await advance(env, 1 / 24)  # an hour of simulated time: the update's workflow task ran
    assert await update_completed(latest, update_id), "the check-in waits for the mail server"
    assert (await checking.result()).month == turn.month
    # the rest of the outage: past the running month's end (the chain continues as new)
    await advance(env, (turn.end - await today(env)).days + 2)
    s = await state_when(
        latest, lambda s: s.benefit is not None and s.benefit.current == turn.month + 1
    )
    assert s.status == "active" and s.benefit is not None
    assert s.benefit.months[turn.month - 1].status == "checked_in"
    desc = await latest.describe()
    assert desc.status is not None and desc.status.name == "RUNNING"
    runs = await chain_of(env, h)
    assert len(runs) >= 4, len(runs)  # approval's month, the missed one, its turn, the next
    assert_bounded(runs)
    now = await env.get_current_time()
    assert now - down_since > timedelta(weeks=4), now - down_since  # the mail down this long
    assert now - task.due_at > timedelta(weeks=2), now - task.due_at  # the escalation retrying

    # the mail comes back: the sink on the port nobody listened on
    sink = mail_back(mail_port, tmp_path / "mail")
    try:
        await advance(env, 1)  # within 6 hours a retry finds the mail server
    finally:
        sink.stop()
    runs = await chain_of(env, h)
    assert_bounded(runs)
    replayer = Replayer(workflows=[ClaimWorkflow], data_converter=CONVERTER)
    for history in runs:  # the outage's runs (retry timers, a reminder given up) replay
        await replayer.replay_workflow(history)
    keep("mail_outage", runs)
    # staff with an address (other tests in the session's database may add some without one:
    # their rows are `no_contact`, nothing to send)
    notices = [n for n in notifications_of(engine, s.case_id) if task_id in n.key and n.recipient]
    escalations = [n for n in notices if ":escalated:" in n.key]
    reminders = [n for n in notices if ":reminder:" in n.key]
    assert escalations and reminders, [n.key for n in notices]
    for n in escalations:  # delivered, once
        assert n.status == "sent", (n.key, n.status, n.attempts)
        assert mails_with(sink.maildir, message_id_for(n.key, "ui-agency.example")) == 1, n.key
    for n in reminders:  # given up at the due time: never sent, after the mail came back either
        assert n.status == "pending" and n.sent_at is None, (n.key, n.status)
        assert mails_with(sink.maildir, message_id_for(n.key, "ui-agency.example")) == 0, n.key
    keys = failed_notices(engine, s.case_id)
    # each notice that gave up, once; the escalation, delivered, is not among them
    assert keys == sorted(
        [
            "review_approved",
            f"check_in_reminder:{missed.month}",
            f"task_reminder:{task_id}:{task.reminders[0].isoformat()}",
        ]
    ), keys


@pytest.fixture
def far_due_book(tmp_path: Path) -> PolicyBook:
    """The policies with a missed check-in's task due 40 days after it opens, reminded 20
    days before: its reminder falls inside the next benefit month (28 to 31 days), its due
    time after that month's end."""
    folder = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = folder / "220100.toml"  # the factories' region
    text = path.read_text("utf-8")
    for old, new in (
        ("task_reminder_days_before = 1 ", "task_reminder_days_before = 20 "),
        ("missed_check_in = 10 ", "missed_check_in = 40 "),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, "utf-8")
    return load_policy_book(folder)


async def test_a_reminder_a_month_turn_cuts_off_is_taken_up_by_the_next_run_and_sent_once(
    env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    far_due_book: PolicyBook,
    task_queue: str,
    mail_port: socket.socket,
    tmp_path: Path,
) -> None:
    """The task's reminder retries when the benefit month ends (continue-as-new cancels it):
    the next run takes it up (`reminders_tried`), and with the mail back before the due time
    it goes out, once, under its one key; no `notification_failed` for it."""
    async with worker_on(env, settings, engine, far_due_book, task_queue, mail_port):
        h = await _approved(env, task_queue)
        latest = env.client.get_workflow_handle(h.id)
        s = await state_when(latest, lambda s: s.benefit is not None)
        assert s.benefit is not None
        missed = s.benefit.months[s.benefit.current]
        turn = s.benefit.months[missed.month]
        await advance(env, (missed.end - await today(env)).days + 1)
        s = await state_when(
            latest, lambda s: s.benefit is not None and s.benefit.current == turn.month
        )
        task_id = f"missed_check_in-{s.case_id}-{missed.month}"
        task = s.tasks[task_id]
        assert task.due_at is not None and len(task.reminders) == 1
        assert task.reminders[0] < month_end_instant(turn) < task.due_at
        # past the month's end, the reminder still failing: the next run retries it
        await advance(env, (month_end_instant(turn) - await env.get_current_time()).days + 1)
        s = await state_when(
            latest, lambda s: s.benefit is not None and s.benefit.current == turn.month + 1
        )
        assert s.tasks[task_id].reminders_tried == task.reminders
        assert not s.tasks[task_id].reminders_sent and not s.tasks[task_id].escalated
        sink = mail_back(mail_port, tmp_path / "mail")
        try:
            await advance(env, 1)  # a retry within 6 hours finds the mail server
            s = await state_when(latest, lambda s: bool(s.tasks[task_id].reminders_sent))
        finally:
            sink.stop()
        assert s.tasks[task_id].reminders_sent == task.reminders
        runs = await chain_of(env, h)
        assert_bounded(runs)
    reminders = [  # to staff with an address (see the test above)
        n
        for n in notifications_of(engine, s.case_id)
        if n.key.startswith(f"task:{task_id}:") and n.recipient
    ]
    assert reminders and all(":reminder:" in n.key for n in reminders), [n.key for n in reminders]
    # one key a person (the first one's attempts failed in both runs), each sent once
    assert max(n.attempts for n in reminders) > 1, [(n.key, n.attempts) for n in reminders]
    for n in reminders:
        assert n.status == "sent", (n.key, n.status, n.attempts)
        assert mails_with(sink.maildir, message_id_for(n.key, "ui-agency.example")) == 1, n.key
    assert not [k for k in failed_notices(engine, s.case_id) if k.startswith("task_reminder")]
    replayer = Replayer(workflows=[ClaimWorkflow], data_converter=CONVERTER)
    for history in runs:
        await replayer.replay_workflow(history)
    keep("reminder_taken_up", runs)
