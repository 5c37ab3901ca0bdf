"""A live server for browser tests: the real app served over HTTP by uvicorn on a free port,
inside the test's event loop, on the time-skipping server with a real worker behind it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.main import create_app
from core.serving import serving_here
from core.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def live_server(
    env: WorkflowEnvironment, settings: Settings, task_queue: str, worker: Worker
) -> AsyncIterator[str]:
    """The base URL of the app, e.g. http://127.0.0.1:54321."""
    app = create_app(
        settings.model_copy(
            update={
                "task_queue": task_queue,
                "temporal_address": env.client.service_client.config.target_host,
            }
        )
    )
    async with serving_here(app) as url:
        yield url
