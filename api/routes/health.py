"""Health: 200 only when the database, Temporal and a worker on our task queue answer."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.deps import RuntimeDep
from api.runtime import Runtime
from core.heartbeat import worker_alive
from db.engine import ping

log = logging.getLogger("api")
router = APIRouter(tags=["health"])
TIMEOUT = 3.0
RPC_TIMEOUT = timedelta(seconds=TIMEOUT)


def _database(runtime: Runtime) -> None:
    ping(runtime.engine)


async def _temporal(runtime: Runtime) -> None:
    client = await asyncio.wait_for(runtime.temporal.client(), TIMEOUT)
    await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=RPC_TIMEOUT)


@router.get("/health")
async def health(runtime: RuntimeDep) -> JSONResponse:
    """`{status: "ok", clock}` with 200, or 503 naming what does not answer; `policy` names
    policy files refused on reload."""
    parts: dict[str, Any] = {}
    try:
        await asyncio.to_thread(_database, runtime)
        parts["database"] = "ok"
    except Exception as err:
        parts["database"] = f"error: {type(err).__name__}"
    try:
        await _temporal(runtime)
        parts["temporal"] = "ok"
    except Exception as err:
        log.warning("health: Temporal does not answer: %s", err)
        parts["temporal"] = f"error: {type(err).__name__}"  # no addresses or server text
    try:
        alive = await asyncio.to_thread(worker_alive, runtime.engine, runtime.settings.task_queue)
        parts["worker"] = "ok" if alive else f"no worker on {runtime.settings.task_queue}"
    except Exception as err:
        parts["worker"] = f"error: {type(err).__name__}"
    ok = all(v == "ok" for v in parts.values())
    body = {"status": "ok" if ok else "unavailable", "clock": runtime.settings.clock, **parts}
    # refused policy files do not make the API unavailable (their last valid versions stay
    # in use), but they are named here until fixed
    runtime.policy.current()  # looks for edited policy files first
    refused = [{"file": p.file, "reason": p.reason} for p in runtime.policy.problems()]
    body["policy"] = {"status": "refused" if refused else "ok", "refused": refused}
    return JSONResponse(body, status_code=200 if ok else 503)
