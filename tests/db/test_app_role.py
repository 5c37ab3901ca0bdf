"""The app's least-privilege PostgreSQL role (db/app_role.py, issue 13 §6): migrations as the
owner, the app as a role that reads and writes rows but cannot UPDATE, DELETE or TRUNCATE the
audit log (refused by privilege, before any trigger), nor create, alter or drop a table.
PostgreSQL only (DATABASE_URL names one): skipped on SQLite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import Session

from db.app_role import grant_app_role, main
from db.audit import record
from db.engine import make_engine
from db.models import AuditEntry
from tests.conftest import ROOT

SHARED = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not SHARED.startswith("postgresql"), reason="PostgreSQL only (DATABASE_URL)"
)


@pytest.fixture
def owner_url() -> Iterator[str]:
    """A scratch database migrated by its owner (the user DATABASE_URL names)."""
    url = make_url(SHARED)
    name = f"{url.database}_app_role"[:63]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    owner = url.set(database=name).render_as_string(hide_password=False)
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = owner
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
    yield owner
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _refused(engine: Engine, sql: str) -> str:
    with pytest.raises(ProgrammingError) as err, engine.begin() as conn:
        conn.execute(text(sql))
    return str(err.value.orig)


def test_the_app_role_appends_to_the_audit_log_and_changes_no_schema(
    owner_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    role, password = f"ui_app_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    monkeypatch.setenv("MIGRATION_DATABASE_URL", owner_url)
    monkeypatch.setenv("APP_DB_PASSWORD", password)
    from core.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main([role]) == 0  # the command compose's migrate service runs
        assert main([role]) == 0  # again: idempotent
    finally:
        get_settings.cache_clear()
    owner = make_engine(owner_url)
    app_url = make_url(owner_url).set(username=role, password=password)
    app = make_engine(app_url.render_as_string(hide_password=False))
    try:
        with Session(app) as session:  # the app's own writer appends (and moves the chain)
            record(
                session,
                AuditEntry(
                    key=f"role-test-{uuid.uuid4().hex}",
                    at=datetime.now(UTC),
                    actor="test",
                    action="role_checked",
                    entity_type="test",
                    entity_id="1",
                    data={},
                ),
            )
            session.commit()
        with app.begin() as conn:  # rows of the other tables: read and written
            conn.execute(text("UPDATE regions SET name = name"))
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() >= 1
        for sql in (
            "UPDATE audit_log SET actor = 'someone else'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
            "UPDATE alembic_version SET version_num = 'x'",
        ):
            assert "permission denied" in _refused(app, sql), sql
        for sql in (
            "DROP TABLE cases",
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "CREATE TABLE mine (id int)",
        ):
            message = _refused(app, sql)
            assert "must be owner" in message or "permission denied" in message, (sql, message)
        with owner.begin() as conn:  # the owner's own rights are untouched
            conn.execute(text("CREATE TABLE owners_only (id int)"))
            conn.execute(text("DROP TABLE owners_only"))
    finally:
        app.dispose()
        owner.dispose()
        admin = create_engine(make_url(SHARED), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            scratch = make_url(owner_url).database
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_nothing_to_do_on_sqlite(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    assert grant_app_role(engine, "ui_app") is False
