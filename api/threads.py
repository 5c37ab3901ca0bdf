"""The thread pools of the API's blocking work.

`in_thread`: short database reads (worklist, user look-ups). `asyncio`'s own executor hand-off
costs less CPU per call than AnyIO's `to_thread` (which FastAPI uses for plain `def` endpoints
and dependencies), and one hop per request is all these reads need. One thread per connection
of the read engine's pool (db/engine.py).

`in_login_thread`: sign-ins (a user query and an Argon2 verification, about 50 ms of CPU each),
on a pool of their own so that a burst of logins neither blocks the event loop nor takes the
read threads from the worklist."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from db.engine import READ_CONNECTIONS

T = TypeVar("T")
LOGIN_THREADS = 2

_pool = ThreadPoolExecutor(max_workers=READ_CONNECTIONS, thread_name_prefix="api-read")
_login_pool = ThreadPoolExecutor(max_workers=LOGIN_THREADS, thread_name_prefix="api-login")


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(*args)` on the read pool and wait for it without blocking the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_pool, fn, *args)


async def in_login_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(*args)` on the sign-in pool and wait for it without blocking the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_login_pool, fn, *args)
