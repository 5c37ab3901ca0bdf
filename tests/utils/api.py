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
