"""What the simulated outside services (the bank, the medical-insurance agency) share: their
own SQLite file behind one lock, background loops that live as long as the app, and the test
modes every non-admin request passes through (down: 503; slow: a delay)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse


class SqliteStore:
    """One SQLite connection (WAL) behind a lock; methods are synchronous (run in a thread)."""

    def __init__(self, path: Path | str, schema: str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(schema)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, query: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(query, params).fetchall()


@asynccontextmanager
async def loops_running(*loops: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run the loops as tasks until the block ends, then cancel them and wait for them."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def add_test_modes(app: FastAPI, what: str, mode_of: Callable[[Request], Any]) -> None:
    """Every request outside /admin answers 503 while the mode is `down`, and waits
    `slow_ms` first when set (the admin endpoints change the mode at run time)."""

    @app.middleware("http")
    async def test_modes(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path.startswith("/admin"):
            return await call_next(request)
        mode = mode_of(request)
        if mode.down:
            return JSONResponse({"detail": f"{what} unavailable (simulated outage)"}, 503)
        if mode.slow_ms:
            await asyncio.sleep(mode.slow_ms / 1000)
        return await call_next(request)
