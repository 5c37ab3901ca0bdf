"""A claimant's notice whose channel keeps failing is an event on the case, not a stuck or
failed case ("a channel that keeps failing is an event": workflows/claim/services.py
`notify`). Since `case-local-writes` the notices are local activities, whose last failure
reaches the workflow as the ApplicationError itself, not an ActivityError around it; both are
the same event. The mail server here is a port nobody listens on."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from core.heartbeat import heartbeat_loop, worker_alive
from core.settings import Settings
from db.models import CaseEvent
from policy import PolicyBook
from tests.utils.temporal import advance, notifications_of, state_when, today
from tests.workflows.test_idle_month import _approved
from worker import create_worker


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_notice_that_cannot_be_sent_is_an_event_and_the_case_goes_on(
    env: WorkflowEnvironment, settings: Settings, engine: Engine, book: PolicyBook, task_queue: str
) -> None:
    broken = settings.model_copy(update={"smtp_port": _closed_port()})
    w = create_worker(env.client, settings=broken, engine=engine, book=book, task_queue=task_queue)
    async with w:
        beating = asyncio.create_task(heartbeat_loop(engine, task_queue))
        while not worker_alive(engine, task_queue):
            await asyncio.sleep(0.01)
        try:
            h = await _approved(env, task_queue)
            latest = env.client.get_workflow_handle(h.id)
            s = await state_when(latest, lambda s: s.benefit is not None)
            assert s.benefit is not None
            month = s.benefit.months[s.benefit.current]  # the next: not checked in
            # past the month's end: its reminder tried 20 times (NOTIFY_RETRY) and given up
            await advance(env, (month.end - await today(env)).days + 1)
            s = await state_when(
                latest,
                lambda s: s.benefit is not None and s.benefit.current == month.month + 1,
            )
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
    assert s.status == "active"
    desc = await latest.describe()
    assert desc.status is not None and desc.status.name == "RUNNING"
    with Session(engine) as session:
        failed = session.exec(
            select(CaseEvent).where(
                CaseEvent.case_id == s.case_id, CaseEvent.type == "notification_failed"
            )
        ).all()
    keys = [str(e.data.get("key")) for e in failed]
    assert f"check_in_reminder:{month.month}" in keys, keys
    reminder = next(
        n
        for n in notifications_of(engine, s.case_id)
        if n.key.endswith(f"check_in_reminder:{month.month}")
    )
    assert reminder.status == "pending" and reminder.attempts >= 2 and reminder.last_error
