"""The audit log (issue 13 §6): one writer sealing every row into a hash chain, triggers that
refuse UPDATE and DELETE, and `python -m db.audit verify` naming the first broken link."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from db import audit
from db.engine import make_engine, session_scope
from db.models import AuditEntry
from db.payment_ledger import Change, _audit
from tests.conftest import ROOT
from tests.utils import own_database

database_url, engine = own_database.database_url, own_database.engine


def _entry(action: str, **data: object) -> AuditEntry:
    return AuditEntry(
        key=f"t:{uuid.uuid4().hex}",
        at=datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC),
        actor="tester",
        action=action,
        entity_type="case",
        entity_id="c-1",
        data=dict(data),
    )


def _write_some(engine: Engine) -> None:
    with session_scope(engine) as session:
        audit.record(session, _entry("one", n=1, name="张三"))
        audit.record(session, _entry("two", nested={"b": [1, 2], "a": None}))
    with session_scope(engine) as session:  # a plain session.add is sealed all the same
        session.add(_entry("three"))
        audit.record_once(session, _entry("four"))
    with engine.begin() as conn:  # the Core path (payment status changes, in bulk)
        e2e = f"E2E{uuid.uuid4().hex[:10]}"
        change = Change(
            end_to_end_id=e2e,
            case_id="c-1",
            status="returned",
            reason="AC04",
            day=datetime(2026, 3, 2, tzinfo=UTC).date(),
            month=202602,
            amount=Decimal("1820.00"),
            category="benefit",
            booked_at=None,
        )
        _audit(conn, datetime(2026, 3, 2, 9, tzinfo=UTC), [change], AuditEntry.__table__.c)  # type: ignore[attr-defined]


def _run_verify(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "test"}
    return subprocess.run(
        [sys.executable, "-m", "db.audit", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_writer_seals_rows_into_one_chain_that_verifies(
    engine: Engine, database_url: str
) -> None:
    _write_some(engine)
    with Session(engine) as session:
        rows = list(session.exec(select(AuditEntry).order_by(col(AuditEntry.seq))))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1)) and len(rows) == 5
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:], strict=False))
    assert audit.verify(engine) == (5, None)
    done = _run_verify(database_url)
    assert done.returncode == 0 and "intact: 5 rows" in done.stdout


def test_the_database_refuses_update_and_delete(engine: Engine) -> None:
    _write_some(engine)
    for statement in (
        "UPDATE audit_log SET actor = 'someone else' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 5",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert audit.verify(engine) == (5, None)


def _without_triggers(engine: Engine, statement: str) -> None:
    """What someone with the database's owner rights could do: edit around the triggers."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text(statement))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
            conn.execute(text(statement))


def test_verify_names_the_first_broken_link_an_edit(engine: Engine, database_url: str) -> None:
    _write_some(engine)
    _without_triggers(engine, "UPDATE audit_log SET reason = 'edited' WHERE seq = 3")
    checked, broken = audit.verify(engine)
    assert checked == 2 and broken is not None and broken.seq == 3 and "changed" in broken.why
    done = _run_verify(database_url)
    assert done.returncode == 1 and "BROKEN at seq 3" in done.stdout


def test_verify_finds_a_removed_row_and_a_removed_tail(engine: Engine) -> None:
    _write_some(engine)
    _without_triggers(engine, "DELETE FROM audit_log WHERE seq = 5")
    checked, broken = audit.verify(engine)
    assert checked == 4 and broken is not None and "tail" in broken.why
    _without_triggers(engine, "DELETE FROM audit_log WHERE seq = 2")
    checked, broken = audit.verify(engine)
    assert checked == 1 and broken is not None and broken.seq == 3 and "jumps" in broken.why


def test_the_migration_chains_rows_written_before_it(database_url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "0009")
    eng = make_engine(database_url)
    try:
        at = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
        table = AuditEntry.__table__  # type: ignore[attr-defined]
        with eng.begin() as conn:
            for i in range(3):
                conn.execute(
                    insert(table).values(
                        key=f"old-{i}",
                        at=at + timedelta(minutes=i),
                        actor="old",
                        action="before_0011",
                        entity_type="case",
                        entity_id="c-9",
                        data={"i": i, "名": "李四"},
                    )
                )
        command.upgrade(cfg, "head")
        assert audit.verify(eng) == (3, None)
        with session_scope(eng) as session:
            audit.record(session, _entry("after"))
        assert audit.verify(eng) == (4, None)
    finally:
        eng.dispose()
