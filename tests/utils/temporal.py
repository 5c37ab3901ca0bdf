"""Helpers for driving case workflows on the time-skipping server in tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle, WorkflowHistory, WorkflowQueryFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from core.codec import EncryptionCodec, data_converter
from core.settings import Settings
from db.models import CaseRecord, Notification, Task
from domain.calendar import AGENCY_TZ
from payloads.case_state import CaseState
from payloads.submissions import EmployerReport, Registration
from workflows.claim import ClaimWorkflow
from workflows.claim.submit import submit

T = TypeVar("T")

# Every test client, worker and replayer encrypts as production does, with the tests' key (the
# development key unless PAYLOAD_KEYS says otherwise, as for the API the tests start).
CONVERTER = data_converter(Settings(app_env="test").payload_keys)


def opened(payload: Payload) -> bytes:
    """A stored payload's data in clear: decrypted with the tests' key (a plain one as is)."""
    codec = CONVERTER.payload_codec
    assert isinstance(codec, EncryptionCodec)
    return codec.decrypt(payload).data


async def today(env: WorkflowEnvironment) -> date:
    return (await env.get_current_time()).astimezone(AGENCY_TZ).date()


async def signal_case(
    client: Client, task_queue: str, case_id: str, item: EmployerReport | Registration
) -> WorkflowHandle[Any, Any]:
    """Signal-with-start, as the API does it."""
    return await submit(client, task_queue, case_id, item)


async def eventually(
    fn: Callable[[], T], pred: Callable[[T], bool] = bool, timeout: float = 60
) -> T:
    """Poll `fn` until `pred` holds (read models are written by activities, a moment later)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = fn()
        if pred(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.05)


async def state_when(
    handle: WorkflowHandle[Any, Any], pred: Callable[[CaseState], bool], timeout: float = 60
) -> CaseState:
    """Query until `pred` holds. A failed query is asked again: the time-skipping server can
    hand a query a history cut inside an unfinished workflow task, which fails to replay
    (the full histories replay cleanly: tests/workflows/test_replay.py)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Exception | None = None
    while True:
        try:
            s = await handle.query(ClaimWorkflow.state)
            if pred(s):
                return s
        except (WorkflowQueryFailedError, RPCError) as err:
            last = err
        if loop.time() > deadline:
            raise AssertionError(f"state not reached within {timeout}s (last error: {last})")
        await asyncio.sleep(0.05)


async def continued_as_new(handle: WorkflowHandle[Any, Any]) -> WorkflowHistory:
    """The history of the handle's run once it has continued as new (a calendar's month)."""
    for _ in range(1200):  # a generous bound for a loaded machine, not a timing check
        history = await handle.fetch_history()
        if history.events[-1].HasField("workflow_execution_continued_as_new_event_attributes"):
            return history
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} did not continue as new")


async def chain_of(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> list[WorkflowHistory]:
    """The histories of the case's runs, first to latest."""
    runs: list[WorkflowHistory] = []
    run_id: str | None = h.result_run_id
    while run_id is not None:
        history = await env.client.get_workflow_handle(h.id, run_id=run_id).fetch_history()
        runs.append(history)
        end = history.events[-1]
        run_id = (
            end.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if end.HasField("workflow_execution_continued_as_new_event_attributes")
            else None
        )
    return runs


async def calendar_waiting(handle: WorkflowHandle[Any, Any], moments: int) -> WorkflowHistory:
    """The history of a calendar's run (payout, medical) once it has passed `moments` moments
    (their start activities completed: activity tasks, or local activities' markers) and waits
    on the timer to the next (`calendar-loop`: several moments a run, no continue-as-new
    between them)."""
    for _ in range(1200):  # a generous bound for a loaded machine, not a timing check
        history = await handle.fetch_history()
        names = {
            e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
            for e in history.events
            if e.HasField("activity_task_scheduled_event_attributes")
        }
        started = [
            e
            for e in history.events
            if e.HasField("activity_task_completed_event_attributes")
            and names[e.activity_task_completed_event_attributes.scheduled_event_id].startswith(
                "start_"
            )
        ] + [name for name in local_activities(history) if name.startswith("start_")]
        if len(started) >= moments and history.events[-1].HasField(
            "timer_started_event_attributes"
        ):
            return history
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} did not pass {moments} moments")


def scheduled_activities(history: WorkflowHistory) -> list[str]:
    """The names of the activities the history scheduled, in order."""
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]


def local_activity_of(e: HistoryEvent) -> str | None:
    """The name of the local activity the event is the marker of (None: another event)."""
    if not e.HasField("marker_recorded_event_attributes"):
        return None
    marker = e.marker_recorded_event_attributes
    if marker.marker_name != "core_local_activity":
        return None
    name: str = json.loads(marker.details["data"].payloads[0].data)["activity_type"]
    return name


def local_activities(history: WorkflowHistory) -> list[str]:
    """The names of the local activities the history recorded (their markers), in order."""
    return [name for e in history.events if (name := local_activity_of(e)) is not None]


def tasks_per_moment(history: WorkflowHistory) -> list[int]:
    """For each timer fired in the history, the workflow tasks completed from it to the next
    timer fired (or the history's end): a calendar's cost of each moment."""
    counts: list[int] = []
    for e in history.events:
        if e.HasField("timer_fired_event_attributes"):
            counts.append(0)
        elif counts and e.HasField("workflow_task_completed_event_attributes"):
            counts[-1] += 1
    return counts


async def advance(env: WorkflowEnvironment, days: float) -> None:
    await env.sleep(timedelta(days=days))


def case_row(engine: Engine, case_id: str) -> CaseRecord | None:
    with Session(engine) as session:
        return session.get(CaseRecord, case_id)


def tasks_of(engine: Engine, case_id: str) -> list[Task]:
    with Session(engine) as session:
        return list(session.exec(select(Task).where(Task.case_id == case_id)).all())


def notifications_of(engine: Engine, case_id: str) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).where(Notification.case_id == case_id)).all())
