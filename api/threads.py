"""The thread pool of the API's short blocking database reads (worklist, user look-ups).

`asyncio`'s own executor hand-off costs less CPU per call than AnyIO's `to_thread` (which
FastAPI uses for plain `def` endpoints and dependencies), and one hop per request is all these
reads need. One thread per connection of the read engine's pool (db/engine.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from db.engine import READ_CONNECTIONS

T = TypeVar("T")

_pool = ThreadPoolExecutor(max_workers=READ_CONNECTIONS, thread_name_prefix="api-read")


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(*args)` on the read pool and wait for it without blocking the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_pool, fn, *args)
