"""Workers scaled out (compose's `--scale worker=3`, issue 13 §8): three `python worker.py`
processes started at once against one Temporal dev server (the `temporal` CLI, a file
database) start up side by side: each starts the singletons it ensures (every region's payout
and medical calendars, the daily reconciliation) unless it runs already, so each runs once,
no process fails, and cases progress with their tasks spread over the three."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.service import RPCError

from core.settings import Settings
from domain.calendar import AGENCY_TZ
from policy import PolicyBook
from tests.browser.conftest import free_port
from tests.conftest import ROOT
from tests.utils import factories as f
from tests.utils.temporal import CONVERTER, signal_case, state_when
from workflows import ids

WORKERS = 3
BIN = Path(sys.executable).parent


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[str]:
    """`temporal server start-dev` on a file database and free ports; its address."""
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "temporal"), "server", "start-dev",
         "--db-filename", str(tmp_path / "temporal.db"),
         "--port", str(port), "--ui-port", str(free_port()),
         "--ip", "127.0.0.1", "--log-level", "error", "--headless"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)


async def _client(address: str) -> Client:
    for _ in range(600):  # a generous bound for a loaded machine, not a timing check
        try:
            client = await Client.connect(address, data_converter=CONVERTER)
            await client.workflow_service.get_system_info(GetSystemInfoRequest())
            return client
        except (RuntimeError, RPCError):
            await asyncio.sleep(0.1)
    raise AssertionError(f"no Temporal dev server at {address}")


def _start_workers(
    address: str, settings: Settings, task_queue: str, logs: Path
) -> list[tuple[subprocess.Popen[bytes], Path]]:
    env = {
        **os.environ,
        "APP_ENV": "test",
        "CLOCK": "real",
        "DATABASE_URL": settings.effective_database_url,
        "TEMPORAL_ADDRESS": address,
        "TASK_QUEUE": task_queue,
        "SMTP_HOST": settings.smtp_host,
        "SMTP_PORT": str(settings.smtp_port),
    }
    started = []
    for n in range(WORKERS):
        log = logs / f"worker-{n}.log"
        with log.open("wb") as out:
            started.append(
                (
                    subprocess.Popen(
                        [sys.executable, str(ROOT / "worker.py")],
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    ),
                    log,
                )
            )
    return started


async def _executions(client: Client, workflow_id: str) -> list[str]:
    return [
        wf.status.name if wf.status else "?"
        async for wf in client.list_workflows(f"WorkflowId = '{workflow_id}'")
    ]


async def test_three_workers_start_at_once_each_singleton_once_and_cases_progress(
    dev_server: str,
    settings: Settings,
    engine: Engine,
    book: PolicyBook,
    task_queue: str,
    tmp_path: Path,
) -> None:
    client = await _client(dev_server)
    workers = _start_workers(dev_server, settings, task_queue, tmp_path)
    try:
        for _ in range(1200):  # each says it polls once its start-up is done
            if all(b"worker polling" in log.read_bytes() for _, log in workers):
                break
            dead = [log.read_text() for proc, log in workers if proc.poll() is not None]
            assert not dead, dead
            await asyncio.sleep(0.1)
        else:
            raise AssertionError([log.read_text()[-2000:] for _, log in workers])
        singletons = [ids.DAILY_RECONCILIATION, ids.PAYOUT_CALENDAR, ids.MEDICAL_CALENDAR]
        for workflow_id in singletons:
            for _ in range(100):  # visibility follows the start a moment later
                found = await _executions(client, workflow_id)
                if found:
                    break
                await asyncio.sleep(0.1)
            assert found == ["RUNNING"], (workflow_id, found)

        # cases progress: intake to the reviewer's task, on any of the three
        handles = []
        for _ in range(3):
            nid, sep = f.national_id(), datetime.now(AGENCY_TZ).date()
            case_id = "ws" + nid[-8:]
            await signal_case(client, task_queue, case_id, f.employer_report(nid, sep))
            handles.append(await signal_case(client, task_queue, case_id, f.registration(nid, sep)))
        for h in handles:
            await state_when(
                h, lambda s: any(t.kind == "review_claim" for t in s.tasks.values()), timeout=120
            )
        for proc, log in workers:  # alive, and their start-up without an error
            assert proc.poll() is None, log.read_text()[-2000:]
            startup = log.read_text().split("worker polling", 1)[0]
            assert "Traceback" not in startup and " ERROR " not in startup, startup[-3000:]
    finally:
        for proc, _ in workers:
            proc.terminate()
        for proc, _ in workers:
            proc.wait(30)
