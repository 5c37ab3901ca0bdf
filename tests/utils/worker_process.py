"""`python worker.py` as its own OS process for the killed-worker tests, and what they need to
kill it safely on the time-skipping server.

The time-skipping server hands tasks to a dead process's long polls until their deadline, and
an activity a process had started holds the server's time-skipping lock until its
start-to-close timeout passes in real time. So a test kills the process only while none of the
workflows it watches has an activity in flight, and waits DEAD_POLLS_EXPIRE before the next
tasks are due; the worker keeps no workflow in its cache (the server never gives a dead
worker's sticky tasks to another one)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from tests.conftest import ROOT

DEAD_POLLS_EXPIRE = 75  # seconds: the SDK's long-poll timeout (70 s) and a margin


def worker_process(
    settings: Settings, task_queue: str, env: WorkflowEnvironment
) -> subprocess.Popen[bytes]:
    """The worker as its own OS process, on the same server, database, bank and agency."""
    s = settings
    child_env = {
        **os.environ,
        "APP_ENV": "test",
        "CLOCK": "simulated",
        "DATABASE_URL": s.effective_database_url,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TASK_QUEUE": task_queue,
        "BANK_URL": s.bank_url,
        "BANK_WEBHOOK_SECRET": s.bank_webhook_secret,
        "MEDAGENCY_URL": s.medagency_url,
        "MEDAGENCY_WEBHOOK_SECRET": s.medagency_webhook_secret,
        "SMTP_PORT": str(s.smtp_port),
        "WORKER_MAX_CACHED_WORKFLOWS": "0",
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py")],
        cwd=ROOT,
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def no_activity_in_flight(
    env: WorkflowEnvironment, workflow_ids: list[str], timeout: float = 120
) -> None:
    """Until none of these workflows has an activity scheduled or running, twice in a row."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    quiet = 0
    while quiet < 2:
        assert loop.time() < deadline, "an activity stayed in flight"
        busy = False
        for workflow_id in workflow_ids:
            described = await env.client.get_workflow_handle(workflow_id).describe()
            busy = busy or bool(described.raw_description.pending_activities)
        quiet = 0 if busy else quiet + 1
        await asyncio.sleep(0.2)
