"""Garbage-collector settings for long-running processes (API servers, the worker).

A Python process that has imported FastAPI, SQLAlchemy, pydantic and temporalio holds some
190,000 container objects that live as long as the process. CPython's full (generation 2)
collection walks all of them, and under load it ran every few seconds and took 100-340 ms
each time in each API process (measured with `gc.callbacks` under bench/worklist.py): every
request in flight waited that long, which was most of the worklist's p95/p99 tail.

`settle_after_startup()` collects once and then `gc.freeze()`s what start-up made, so later
collections walk only what was made afterwards; reference cycles made later are still
collected. It acts once per process (an app started again in the same process, as tests do,
changes nothing; the test process is frozen at its first app start). The price: garbage cycles
among the frozen objects are never collected, which for start-up objects (modules, classes,
the app) is what happens anyway. See the `gc.freeze` entry in the Python documentation."""

from __future__ import annotations

import gc

_settled = False


def settle_after_startup() -> int:
    """Collect start-up garbage, then move every surviving object to the permanent
    generation, the first time it is called in a process. Returns how many objects are
    frozen."""
    global _settled
    if not _settled:
        _settled = True
        gc.collect()
        gc.freeze()
    return gc.get_freeze_count()
