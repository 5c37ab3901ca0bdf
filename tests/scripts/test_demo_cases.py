"""`make run`'s demo cases: made through the real API and worker into an empty system, in the
stages they promise, and never twice."""

from __future__ import annotations

import asyncio
import sys

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.conftest import ROOT
from tests.utils import own_database
from tests.workflows import test_payment_run
from tests.workflows.test_payment_run import Stack

sys.path.insert(0, str(ROOT / "scripts"))
from demo_cases import DEMOS  # noqa: E402

# a database of the test's own
database_url, engine, settings = (
    own_database.database_url,
    own_database.engine,
    own_database.settings,
)
stack = test_payment_run.stack  # our API over HTTP and the worker


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
