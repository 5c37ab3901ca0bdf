"""Simulated-clock advances as jobs: a long advance moves Temporal's time-skipping server a
step at a time in the background, so no single call to the server runs for minutes (a 31-day
advance in one call with ~150 cases ended in a transport error), and the caller can poll the
progress (`GET /api/v1/sim/clock/jobs/{id}`).

The step adapts to how busy the stack is (`StepSize`): a simulated day first, doubled while a
step comes back quickly (up to a month: an idle stack's two years in ~30 calls, not 742, each
of which locks and unlocks the test server's time), halved while one takes long (down to an
hour). Every timer due on the way fires in order whatever the step.

One advance at a time per API process (a second answers 409); jobs live in the API process's
memory, which is enough for `make run CLOCK=simulated` (one API process). Polling a job never
calls the test server: every call to it locks time skipping for a moment."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from temporalio.client import Client

from api.clock import SystemClock

STEP_DAYS = 1.0  # simulated time of an advance's first call to the test server
DAY_MS = 86_400_000
MIN_STEP_MS = DAY_MS // 24  # an hour
MAX_STEP_MS = 32 * DAY_MS
FAST_SECONDS = 0.5  # a step answered within this (real time): the next one twice as long
SLOW_SECONDS = 5.0  # a step that took longer: the next one half as long
KEEP_JOBS = 50  # finished jobs remembered for polling
log = logging.getLogger(__name__)

JobStatus = Literal["running", "done", "failed"]


class AdvanceRunning(Exception):
    """Another advance is still moving the clock."""

    def __init__(self, job: AdvanceJob) -> None:
        super().__init__(f"advance {job.job_id} is still running")
        self.job = job


@dataclass
class AdvanceJob:
    job_id: str
    days_total: float
    started_at: datetime  # simulated time when it began
    now: datetime  # simulated time after the last step
    days_done: float = 0.0
    status: JobStatus = "running"
    error: str | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


@dataclass
class StepSize:
    """How much simulated time the next call to the test server asks for (whole
    milliseconds: a sleep of a few microseconds is one the test server never ends)."""

    ms: int
    min_ms: int = MIN_STEP_MS
    max_ms: int = MAX_STEP_MS

    def took(self, seconds: float) -> None:
        """A step took `seconds` of real time: double after a quick one, halve after a slow
        one, within the bounds."""
        if seconds < FAST_SECONDS:
            self.ms = min(self.ms * 2, self.max_ms)
        elif seconds > SLOW_SECONDS:
            self.ms = max(self.ms // 2, self.min_ms)


class ClockJobs:
    """The API process's advances; at most one runs."""

    def __init__(self, clock: SystemClock, step_days: float = STEP_DAYS) -> None:
        self.clock = clock
        self.step_days = step_days
        self.jobs: dict[str, AdvanceJob] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def running(self) -> AdvanceJob | None:
        return next((j for j in self.jobs.values() if j.status == "running"), None)

    def get(self, job_id: str) -> AdvanceJob | None:
        return self.jobs.get(job_id)

    async def start(self, client: Client, days: float) -> AdvanceJob:
        if (busy := self.running()) is not None:
            raise AdvanceRunning(busy)
        now = await self.clock.now(client)
        job = AdvanceJob(job_id=uuid.uuid4().hex[:12], days_total=days, started_at=now, now=now)
        self.jobs[job.job_id] = job
        self._forget_old()
        task = asyncio.create_task(self._run(client, job), name=f"clock-advance-{job.job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _run(self, client: Client, job: AdvanceJob) -> None:
        # whole milliseconds: a float remainder of a few microseconds would be a sleep the
        # test server never ends
        total_ms = round(job.days_total * DAY_MS)
        size = StepSize(max(round(self.step_days * DAY_MS), 1))
        done_ms = 0
        try:
            while done_ms < total_ms:
                step = min(size.ms, total_ms - done_ms)
                began = time.monotonic()
                job.now = await self.clock.advance(client, step / 1000)
                size.took(time.monotonic() - began)
                done_ms += step
                job.days_done = job.days_total if done_ms == total_ms else done_ms / DAY_MS
            job.status = "done"
        except Exception as exc:  # the job reports it; the API process stays up
            log.exception("clock advance %s failed after %s days", job.job_id, job.days_done)
            job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            job.finished.set()

    async def wait(self, job: AdvanceJob, seconds: float) -> bool:
        """Wait up to `seconds` (real time) for the job to end; True when it has."""
        try:
            await asyncio.wait_for(job.finished.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    def _forget_old(self) -> None:
        done = [j for j in self.jobs.values() if j.status != "running"]
        for job in done[: max(0, len(done) - KEEP_JOBS)]:
            del self.jobs[job.job_id]
