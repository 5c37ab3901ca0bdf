"""A database of its own for each test, copied from one migrated and seeded template made
once per session: seeding hashes the demo users' passwords (argon2, ~10 s on a loaded
machine), which `own_database` pays for every test. SQLite copies the template's file;
PostgreSQL creates the database from it (CREATE DATABASE ... TEMPLATE). A module takes the
fixtures as module-level names:

    database_url, engine, settings = (
        template_database.database_url, template_database.engine, template_database.settings
    )
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from core.settings import Settings
from db.engine import make_engine
from notifications.smtp_sink import SinkHandle
from tests.conftest import migrated, seeded_settings
from tests.utils.worker_database import beside, create_empty, drop


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory, smtp_sink: SinkHandle) -> Iterator[str]:
    shared = os.environ.get("DATABASE_URL", "")
    if not shared.startswith("postgresql"):
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
    else:
        url = beside(shared, "template")
        create_empty(shared, make_url(url).database or "")
    eng = migrated(url)
    seeded_settings(eng, url, smtp_sink)
    eng.dispose()  # no connection left: SQLite checkpoints its WAL, PostgreSQL can copy it
    yield url
    if url.startswith("postgresql"):
        drop(shared, make_url(url).database or "")


@pytest.fixture
def database_url(template_url: str, tmp_path: Path) -> Iterator[str]:
    if template_url.startswith("sqlite"):
        own = tmp_path / "own.db"
        shutil.copyfile(template_url.removeprefix("sqlite:///"), own)
        yield f"sqlite:///{own}"
        return
    template = make_url(template_url)
    name = f"{template.database}_{uuid.uuid4().hex[:8]}"[:63]
    shared = os.environ["DATABASE_URL"]  # not the template: it must have no connection
    admin = create_engine(make_url(shared), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
    admin.dispose()
    yield template.set(database=name).render_as_string(hide_password=False)
    drop(shared, name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(engine: Engine, database_url: str, smtp_sink: SinkHandle) -> Settings:
    """The tests' settings (simulated clock, the SMTP sink); the users came with the copy."""
    return Settings(
        app_env="test",
        clock="simulated",
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.port,
    )
