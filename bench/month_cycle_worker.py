"""The worker process of the month-cycle benchmark (started by `month_cycle.py`, one OS
process per measurement, so its peak memory is its own).

    python bench/month_cycle_worker.py --mode claims|empty --stats FILE

`claims`: the real worker, built by `worker.create_worker` (every workflow and activity, the
same thread pool and workflow cache as `python worker.py`) from the environment's settings;
without worker.py's start-up extras (payout calendars, daily reconciliation, heartbeat), so
nothing but the benchmark runs. `empty`: `EmptyWorkflow` and its no-op activity on
`<TASK_QUEUE>-empty` with the same thread pool size and cache. `--sandbox passthrough` (an
experiment, for both modes alike) runs the workflows in a sandbox that passes every module
through instead of re-importing the workflow modules for each run. Both count every activity
execution by type (a client interceptor, which Temporal also applies to the worker) and
write the counts and the time spent in each type to FILE as JSON twice a second and on exit.
SIGTERM shuts the worker down gracefully."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import signal
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from empty_workflow import EmptyWorkflow, noop  # noqa: E402
from temporalio import activity  # noqa: E402
from temporalio import client as temporal_client  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.worker import (  # noqa: E402
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)
from temporalio.worker.workflow_sandbox import (  # noqa: E402
    SandboxedWorkflowRunner,
    SandboxRestrictions,
)

import worker as real_worker  # noqa: E402
from core.bytecode import keep_bytecode
from core.codec import data_converter  # noqa: E402
from core.gc_tuning import settle_after_startup
from core.settings import Settings  # noqa: E402
from db.engine import make_engine  # noqa: E402
from policy import POLICY_DIR, load_policy_book  # noqa: E402

THREADS = 16  # worker.create_worker's default activity thread pool


class ActivityCounter(temporal_client.Interceptor, Interceptor):
    """Counts finished activity executions (retries included) and their time by type."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Counting(next, self)

    def snapshot(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "failed": dict(self.failed),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "total": sum(self.counts.values()),
        }


class _Counting(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, counter: ActivityCounter) -> None:
        super().__init__(next)
        self.counter = counter

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        name = activity.info().activity_type
        t0 = time.perf_counter()
        try:
            return await self.next.execute_activity(input)
        except BaseException:
            self.counter.failed[name] += 1
            raise
        finally:
            self.counter.counts[name] += 1
            self.counter.seconds[name] += time.perf_counter() - t0


def write_stats(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def build(mode: str, client: Client, settings: Settings, sandbox: str) -> Worker:
    cache = settings.worker_max_cached_workflows
    extra: dict[str, Any] = {}
    if sandbox == "passthrough":
        restrictions = SandboxRestrictions.default.with_passthrough_all_modules()
        extra["workflow_runner"] = SandboxedWorkflowRunner(restrictions=restrictions)
    if mode == "claims":
        book = load_policy_book(settings.policy_dir or POLICY_DIR)
        engine = make_engine(settings.effective_database_url)
        if extra:  # create_worker builds its Worker through the module's name
            real_worker.Worker = functools.partial(Worker, **extra)  # type: ignore[misc,assignment]
        return real_worker.create_worker(
            client, settings=settings, engine=engine, book=book, max_cached_workflows=cache
        )
    keep_bytecode()  # as create_worker does
    return Worker(
        client,
        task_queue=f"{settings.task_queue}-empty",
        workflows=[EmptyWorkflow],
        activities=[noop],
        activity_executor=ThreadPoolExecutor(max_workers=THREADS),
        max_cached_workflows=cache,
        **extra,
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["claims", "empty"], required=True)
    parser.add_argument("--stats", type=Path, required=True)
    parser.add_argument("--sandbox", choices=["default", "passthrough"], default="default")
    args = parser.parse_args()
    settings = Settings()  # type: ignore[call-arg]  # APP_ENV from the stack's environment
    counter = ActivityCounter()
    client = await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings.payload_keys),
        interceptors=[counter],
    )
    worker = build(args.mode, client, settings, args.sandbox)
    settle_after_startup()  # as worker.py does, for the cycle and the floor alike
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    last: dict[str, Any] = {}
    async with worker:
        write_stats(args.stats, {**counter.snapshot(), "ready": True})
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.5)
            now = counter.snapshot()
            if now != last:
                write_stats(args.stats, {**now, "ready": True})
                last = now
    write_stats(args.stats, {**counter.snapshot(), "ready": True, "stopped": True})


if __name__ == "__main__":
    asyncio.run(main())
