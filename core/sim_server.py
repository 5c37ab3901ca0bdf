"""The shape the simulated outside services (the bank, the medical-insurance agency) share:
an app whose lifespan opens the service (its store and clock) and runs its background loops
with one HTTP client, the admin router, the test modes, a 503 when its clock cannot be read,
`/health`; and the `python -m <service>` command that serves it."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from core.simservice import add_test_modes, loops_running


class SimService(Protocol):
    mode: Any

    async def now(self) -> datetime: ...


S = TypeVar("S", bound=SimService)
Loops = Callable[[S, httpx.AsyncClient], list[Coroutine[Any, Any, None]]]


def create_sim_app(
    *,
    title: str,
    summary: str,
    state: str,
    what: str,
    clock: str,
    start: Callable[[], tuple[S, Callable[[], None]]],
    loops: Loops[S],
    admin: APIRouter,
    clock_unavailable: type[Exception],
) -> FastAPI:
    """The app of a simulated service kept at `app.state.<state>`: `start()` opens it (the
    service and how to close its store), `loops(service, client)` its background loops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service, close = start()
        setattr(app.state, state, service)
        try:
            async with (
                httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0)) as client,
                loops_running(*loops(service, client)),
            ):
                yield
        finally:
            close()

    app = FastAPI(title=title, summary=summary, lifespan=lifespan)
    app.include_router(admin)
    add_test_modes(app, what, lambda request: getattr(request.app.state, state).mode)

    @app.exception_handler(clock_unavailable)
    async def unavailable(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 503)

    @app.get("/health")
    async def health(request: Request) -> dict[str, str]:
        """The service answers and its clock reads."""
        now = await getattr(request.app.state, state).now()
        return {"status": "ok", "clock": clock, "now": now.isoformat()}

    return app


def serve_main(
    argv: list[str] | None,
    *,
    prog: str,
    doc: str | None,
    port_env: str,
    port: int,
    db_help: str,
    make_app: Callable[[Path | None], FastAPI],
) -> None:
    """`python -m <prog> [--host] [--port] [--db]`: `make_app(db)` raises ValueError for a
    bad configuration (said on stderr, exit code 2)."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=doc)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get(port_env, str(port))))
    parser.add_argument("--db", type=Path, help=db_help)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        app = make_app(args.db)
    except ValueError as exc:
        parser.exit(2, f"{prog}: {exc}\n")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
