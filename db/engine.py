"""Creating the SQLAlchemy engine for SQLite (default) or PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

T = TypeVar("T")
READ_CONNECTIONS = 10  # the read engine's pool, and the API's read threads


def make_engine(url: str) -> Engine:
    """An engine with sane defaults: WAL and foreign keys on SQLite, pre-ping on PostgreSQL."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # at most 20 connections per process, and 10 more for an API process's reads
    # (make_read_engine): two API processes and a worker stay under PostgreSQL's default 100
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def make_read_engine(url: str, engine: Engine) -> Engine:
    """The engine of the API's hot single-statement reads (worklist, one task, user look-ups).

    On PostgreSQL its own small pool, in autocommit (no BEGIN/ROLLBACK around a read, no
    isolation level set and reset per checkout) and without a ping before each use: a
    connection that went stale (the database restarted) fails its read, SQLAlchemy then
    invalidates the pool, and `read_with_retry` reads once more on a fresh connection. These
    three round trips were a third of a worklist request's time (py-spy, bench/worklist.py).
    On SQLite `engine` itself: there is no server to lose, and one pool per file is enough."""
    if url.startswith("sqlite"):
        return engine
    # one connection per read thread (api/threads.py): no more can be in use at once
    return create_engine(
        url, isolation_level="AUTOCOMMIT", pool_size=READ_CONNECTIONS, max_overflow=0
    )


def read_with_retry(engine: Engine, read: Callable[[Connection], T]) -> T:
    """`read(conn)` on a pooled connection of `engine`; once more when that connection turned
    out to be dead (`connection_invalidated`), which only a read that changes nothing may do."""
    try:
        with engine.connect() as conn:
            return read(conn)
    except DBAPIError as err:
        if not err.connection_invalidated:
            raise
    with engine.connect() as conn:
        return read(conn)


def ping(engine: Engine) -> None:
    """One round trip to the database (the health check); raises when it cannot be reached."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# the audit log's one writer seals every audit row an ORM session flushes, in every process
# that makes an engine (db/audit.py)
import db.audit  # noqa: E402, F401
