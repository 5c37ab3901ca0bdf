"""Helpers for API tests: sign in as a demo user, poll the read model through the API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from db.seed import demo_credentials


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    resp = await client.post("/api/v1/auth/token", data=demo_credentials(username))
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


async def case_when(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    case_id: str,
    status: str,
    timeout: float = 60,
) -> dict[str, Any]:
    """GET the case until it has `status` (the read model follows the workflow closely)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while loop.time() < deadline:
        resp = await client.get(f"/api/v1/cases/{case_id}", headers=headers)
        last = resp.json()
        if resp.status_code == 200 and last["status"] == status:
            return dict(last)
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {case_id} did not reach {status}: {last}")


async def advance_clock(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    days: float,
    *,
    wait: float | None = None,
    seen: list[dict[str, Any]] | None = None,
    polls: int = 100_000,
) -> dict[str, Any]:
    """Move the simulated clock `days` on through the API and drive the advance to its end:
    a 200 is the finished job, a 202 is polled at its job until it is done. Every answer
    (the first and each poll) is appended to `seen` when given. Returns the finished job."""
    params = {} if wait is None else {"wait": wait}
    resp = await client.post(
        "/api/v1/sim/clock/advance", json={"days": days}, params=params, headers=headers
    )
    assert resp.status_code in (200, 202), resp.text
    job: dict[str, Any] = resp.json()
    if seen is not None:
        seen.append(job)
    for _ in range(polls):  # a bound against a hang, not a timing check
        if job["status"] != "running":
            break
        await asyncio.sleep(0.02)
        resp = await client.get(f"/api/v1/sim/clock/jobs/{job['job_id']}", headers=headers)
        assert resp.status_code == 200, resp.text
        job = resp.json()
        if seen is not None:
            seen.append(job)
    assert job["status"] == "done", job
    return job
