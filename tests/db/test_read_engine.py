"""db.engine's read engine: autocommit, no ping, and one retry when a pooled connection died."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from db.engine import make_read_engine, read_with_retry


def _pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.fixture()
def reader(engine: Engine, database_url: str) -> Iterator[Engine]:
    if engine.dialect.name != "postgresql":
        pytest.skip("needs a database server whose connections can die (PostgreSQL)")
    eng = make_read_engine(database_url, engine)
    yield eng
    eng.dispose()


def _kill(engine: Engine, pid: int) -> None:
    with engine.begin() as conn:
        # with a timeout, it returns once the backend is gone (PostgreSQL 14+)
        done = conn.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})
        assert done.scalar_one()


def test_a_read_on_a_dead_pooled_connection_is_made_again(engine: Engine, reader: Engine) -> None:
    # without the retry, the first read after the server dropped the connection fails
    _kill(engine, read_with_retry(reader, _pid))
    with pytest.raises(DBAPIError) as failed, reader.connect() as conn:
        _pid(conn)
    assert failed.value.connection_invalidated

    # with it, the caller sees only the answer, from a new connection
    first = read_with_retry(reader, _pid)
    _kill(engine, first)
    again = read_with_retry(reader, _pid)
    assert again != first


def test_reads_run_in_autocommit(reader: Engine) -> None:
    def two_reads(conn: Connection) -> tuple[Any, datetime, datetime]:
        first = conn.execute(text("SELECT now()")).scalar_one()
        conn.execute(text("SELECT pg_sleep(0.01)"))
        # now() is the start of the transaction: a later statement sees a later one only
        # when no transaction spans the two (nothing is left "idle in transaction")
        dbapi: Any = conn.connection.dbapi_connection
        return dbapi.autocommit, first, conn.execute(text("SELECT now()")).scalar_one()

    autocommit, first, second = read_with_retry(reader, two_reads)
    assert autocommit is True
    assert second > first


def test_other_errors_are_not_retried(engine: Engine, database_url: str) -> None:
    calls = []

    def broken(conn: Connection) -> None:
        calls.append(1)
        conn.execute(text("SELECT * FROM no_such_table"))

    eng = make_read_engine(database_url, engine)
    with pytest.raises(DBAPIError) as failed:
        read_with_retry(eng, broken)
    assert not failed.value.connection_invalidated
    assert calls == [1]
    if engine.dialect.name == "sqlite":
        assert eng is engine  # one pool per SQLite file
    else:
        eng.dispose()
