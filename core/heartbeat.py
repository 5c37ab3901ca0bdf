"""Worker liveness: a worker process stamps a row every few seconds while it polls, so the
API's health check can tell that someone is working the task queue (the time-skipping
server does not implement DescribeTaskQueue)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from db.engine import session_scope
from db.models import WorkerHeartbeat

INTERVAL = timedelta(seconds=5)
STALE_AFTER = timedelta(seconds=20)
log = logging.getLogger(__name__)


def beat(engine: Engine, worker_id: str, task_queue: str) -> None:
    with session_scope(engine) as session:
        row = session.get(WorkerHeartbeat, worker_id) or WorkerHeartbeat(
            worker_id=worker_id, task_queue=task_queue
        )
        row.seen_at = datetime.now(UTC)
        session.add(row)


def forget(engine: Engine, worker_id: str) -> None:
    with session_scope(engine) as session:
        row = session.get(WorkerHeartbeat, worker_id)
        if row is not None:
            session.delete(row)


def worker_alive(engine: Engine, task_queue: str) -> bool:
    since = datetime.now(UTC) - STALE_AFTER
    with Session(engine) as session:
        stmt = select(WorkerHeartbeat.worker_id).where(
            WorkerHeartbeat.task_queue == task_queue, col(WorkerHeartbeat.seen_at) >= since
        )
        return session.exec(stmt).first() is not None


async def heartbeat_loop(engine: Engine, task_queue: str) -> None:
    """Run beside the worker until cancelled; removes its row on the way out."""
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    try:
        while True:
            try:
                await asyncio.to_thread(beat, engine, worker_id, task_queue)
            except Exception:
                log.exception("worker heartbeat failed")
            await asyncio.sleep(INTERVAL.total_seconds())
    finally:
        await asyncio.to_thread(forget, engine, worker_id)
