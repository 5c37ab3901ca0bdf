"""The real app served over HTTP on a thread of its own: its own event loop, a fresh
time-skipping Temporal server and a worker behind it, for synchronous callers (Schemathesis
sends its requests with `requests`, which would block an event loop the app shared)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Iterator

from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from core.heartbeat import heartbeat_loop, worker_alive
from core.serving import serving_here
from core.settings import Settings
from policy import PolicyBook
from tests.conftest import test_server_path
from tests.utils.temporal import CONVERTER
from worker import create_worker


class LiveStack:
    """`with LiveStack(settings, engine, book) as base_url:` the app's base URL."""

    def __init__(self, settings: Settings, engine: Engine, book: PolicyBook) -> None:
        self.settings = settings
        self.engine = engine
        self.book = book
        self.base_url = ""
        self._up = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fuzz-live-stack", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # handed to the test's thread
            self._error = exc
            self._up.set()

    async def _serve(self) -> None:
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=CONVERTER, test_server_existing_path=test_server_path()
        )
        task_queue = f"tq-fuzz-{uuid.uuid4().hex[:12]}"
        try:
            worker = create_worker(
                env.client,
                settings=self.settings,
                engine=self.engine,
                book=self.book,
                task_queue=task_queue,
            )
            async with worker:
                beating = asyncio.create_task(heartbeat_loop(self.engine, task_queue))
                while not worker_alive(self.engine, task_queue):
                    await asyncio.sleep(0.01)
                app = create_app(
                    self.settings.model_copy(
                        update={
                            "task_queue": task_queue,
                            "temporal_address": env.client.service_client.config.target_host,
                        }
                    )
                )
                async with serving_here(app) as url:
                    self.base_url = url
                    self._up.set()
                    while not self._stop.is_set():
                        await asyncio.sleep(0.05)
                beating.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beating
        finally:
            await env.shutdown()

    def __enter__(self) -> str:
        self._thread.start()
        self._up.wait()
        if self._error is not None:
            raise self._error
        return self.base_url

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=120)


@contextlib.contextmanager
def live_stack(settings: Settings, engine: Engine, book: PolicyBook) -> Iterator[str]:
    with LiveStack(settings, engine, book) as base_url:
        yield base_url
