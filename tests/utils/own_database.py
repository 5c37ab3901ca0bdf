"""Fixtures for a test module that needs a database of its own (an empty system, or days no
other test touches): SQLite beside the test, or a scratch PostgreSQL database next to the one
DATABASE_URL names. A module takes them as module-level names:

    database_url, engine, settings = (
        own_database.database_url, own_database.engine, own_database.settings
    )
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.settings import Settings
from notifications.smtp_sink import SinkHandle
from tests.conftest import migrated, seeded_settings
from tests.utils.worker_database import postgres_scratch


@pytest.fixture
def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    shared = os.environ.get("DATABASE_URL", "")
    if not shared.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'own.db'}"
        return
    with postgres_scratch(shared, request.module.__name__.rsplit(".", 1)[-1]) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = migrated(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(engine: Engine, database_url: str, smtp_sink: SinkHandle) -> Settings:
    return seeded_settings(engine, database_url, smtp_sink)
