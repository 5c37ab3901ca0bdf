"""Each pytest-xdist worker's own PostgreSQL database (tests/utils/worker_database.py): which URL
a worker gets (pure), and, on a real PostgreSQL when DATABASE_URL names one, that claiming makes
it empty and points DATABASE_URL at it, and releasing drops it and gives DATABASE_URL back."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.utils import worker_database

PG = "postgresql+psycopg2://postgres:secret@127.0.0.1:5432/ui_ci?sslmode=disable"


def test_a_worker_on_postgresql_gets_a_database_named_after_it() -> None:
    url = worker_database.worker_database_url(PG, "gw3")
    assert url == "postgresql+psycopg2://postgres:secret@127.0.0.1:5432/ui_ci_gw3?sslmode=disable"


@pytest.mark.parametrize(
    ("shared", "worker"),
    [
        (PG, None),  # the controller, or a serial run
        (PG, ""),
        ("sqlite:///tmp/x/test.db", "gw0"),  # SQLite: tmp_path_factory is per worker already
        ("", "gw0"),  # no DATABASE_URL: SQLite
    ],
)
def test_no_database_of_its_own_when_not_a_worker_on_postgresql(
    shared: str, worker: str | None
) -> None:
    assert worker_database.worker_database_url(shared, worker) is None


def test_the_name_keeps_postgresql_s_limit() -> None:
    long = PG.replace("/ui_ci?", "/" + "d" * 62 + "?")
    url = worker_database.worker_database_url(long, "gw12")
    assert url is not None and len(make_url(url).database or "") == 63


def _databases(url: str) -> set[str]:
    eng = create_engine(make_url(url))
    try:
        with eng.connect() as conn:
            return set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
    finally:
        eng.dispose()


@pytest.fixture
def shared_postgres(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The DATABASE_URL this run was given (as this process would have had it before its own
    claim: a worker's `<db>_gwN` is fine, it is a real database too)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("needs DATABASE_URL on PostgreSQL")
    monkeypatch.setenv("DATABASE_URL", url)  # restored whatever the test does
    yield url


def test_a_worker_claims_an_empty_database_and_releases_it(
    shared_postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(worker_database.WORKER_ENV, "gwtest")
    expected = make_url(worker_database.beside(shared_postgres, "gwtest")).database
    # left over by a run killed before it could drop it, with a table in it
    worker_database.create_empty(shared_postgres, expected or "")
    leftover = create_engine(make_url(worker_database.beside(shared_postgres, "gwtest")))
    with leftover.begin() as conn:
        conn.execute(text("CREATE TABLE stale (id int)"))
    leftover.dispose()

    claimed = worker_database.claim_for_worker()
    assert claimed is not None
    assert os.environ["DATABASE_URL"] == claimed.own != shared_postgres
    assert make_url(claimed.own).database == expected
    assert expected in _databases(shared_postgres)
    fresh = create_engine(make_url(claimed.own))
    with fresh.connect() as conn:
        tables = conn.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        ).scalar_one()
    # a connection still open when the worker ends does not keep its database alive (FORCE)
    held = fresh.connect()
    assert tables == 0

    worker_database.release(claimed)
    held.close()
    fresh.dispose()
    assert os.environ["DATABASE_URL"] == shared_postgres
    assert expected not in _databases(shared_postgres)
