"""`make run`'s demo cases: made through the real API and worker into an empty system, in the
stages they promise, and never twice."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from notifications.smtp_sink import SinkHandle
from tests.conftest import ROOT, migrated, seeded_settings
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import Stack

sys.path.insert(0, str(ROOT / "scripts"))
from demo_cases import DEMOS  # noqa: E402

stack = test_payment_run.stack  # our API over HTTP and the worker


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """An empty system of its own: the demo is made only where no case exists (SQLite: the
    script talks to the API, whichever database that uses)."""
    return f"sqlite:///{tmp_path / 'demo.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = migrated(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(engine: Engine, database_url: str, smtp_sink: SinkHandle) -> Settings:
    return seeded_settings(engine, database_url, smtp_sink)


async def _run_script(api_url: str) -> str:
    """The script as `make run` starts it: its own process, talking HTTP to our API."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "scripts" / "demo_cases.py"),
        api_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 300)  # a bound for a loaded machine
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def test_demo_cases_are_made_once_in_their_stages(
    env: WorkflowEnvironment, stack: Stack
) -> None:
    async with stack.worker():
        first = await _run_script(stack.api_url)
        assert f"demo cases: {len(DEMOS)} made" in first, first
        again = await _run_script(stack.api_url)
        assert "the system has cases already" in again, again
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as api:
            token = await api.post(
                "/api/v1/auth/token", data={"username": "clerk", "password": "clerk"}
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            cases = (await api.get("/api/v1/cases", params={"limit": 50}, headers=headers)).json()
    by_name = {c["claimant_name"]: c["status"] for c in cases}
    assert len(cases) == len(DEMOS), by_name
    assert by_name["陈静"] == "active" and by_name["杨磊"] == "active"
    assert by_name["李娜"] == "in_review" and by_name["刘洋"] == "in_review"
    assert by_name["张伟"] != by_name["王芳"]  # one waits for the claimant, one for the employer
