"""Scratch PostgreSQL databases beside the one DATABASE_URL names, and one per pytest-xdist
worker: `make test` runs the suite on several workers (PYTEST_WORKERS), and workers sharing a
database would see each other's cases and tasks, and each one's session `engine` empties the
schema (tests/conftest.py `migrated`) under the others' feet. So tests/conftest.py's
`pytest_configure` gives a worker (env PYTEST_XDIST_WORKER=gw0, gw1, ...) a database
`<db>_<worker>` of its own, made empty, and points DATABASE_URL at it for everything the worker
starts (fixtures, own_database, template_database, the subprocesses' environment);
`pytest_unconfigure` drops it. SQLite needs none of this: each worker has its own tmp_path_factory.

No import of tests.conftest here: the conftest imports this module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, make_url, text

WORKER_ENV = "PYTEST_XDIST_WORKER"


def beside(url: str, suffix: str) -> str:
    """The URL of the database `<name>_<suffix>` (PostgreSQL's 63-character limit kept) on the
    same server, user and options as `url`."""
    parsed = make_url(url)
    name = f"{parsed.database}_{suffix}"[:63]
    return parsed.set(database=name).render_as_string(hide_password=False)


def create_empty(admin_url: str, name: str) -> None:
    """Create the database `name` empty on the server `admin_url` names (dropped first if it is
    there: a run killed before it could drop its own leaves it behind). Connects to the
    database `admin_url` names, which must not be `name` itself."""
    with _admin(admin_url) as admin, admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))


def drop(admin_url: str, name: str) -> None:
    """Drop the database `name`, connections to it closed (FORCE); no error if absent."""
    with _admin(admin_url) as admin, admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def _admin(url: str) -> Iterator[Engine]:
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    try:
        yield admin
    finally:
        admin.dispose()


@contextmanager
def postgres_scratch(shared: str, suffix: str) -> Iterator[str]:
    """A scratch database `<name>_<suffix>` beside the one `shared` names, created empty and
    dropped at the end."""
    url = beside(shared, suffix)
    name = make_url(url).database or ""
    create_empty(shared, name)
    try:
        yield url
    finally:
        drop(shared, name)


def worker_database_url(shared: str, worker: str | None) -> str | None:
    """The database URL a pytest-xdist worker should use instead of `shared`: `<db>_<worker>`
    when `shared` is PostgreSQL and this process is a worker; None otherwise (the controller,
    a serial run, SQLite or no DATABASE_URL)."""
    if not worker or not shared.startswith("postgresql"):
        return None
    return beside(shared, worker)


@dataclass(frozen=True)
class Claimed:
    shared: str  # the DATABASE_URL the run was given (the admin connection goes there)
    own: str  # the worker's


def claim_for_worker() -> Claimed | None:
    """In a pytest-xdist worker on PostgreSQL: create its database empty and point
    DATABASE_URL at it. None when there is nothing to do (see worker_database_url)."""
    shared = os.environ.get("DATABASE_URL", "")
    own = worker_database_url(shared, os.environ.get(WORKER_ENV))
    if own is None:
        return None
    create_empty(shared, make_url(own).database or "")
    os.environ["DATABASE_URL"] = own
    return Claimed(shared=shared, own=own)


def release(claimed: Claimed) -> None:
    """Drop the worker's database and give DATABASE_URL back."""
    os.environ["DATABASE_URL"] = claimed.shared
    drop(claimed.shared, make_url(claimed.own).database or "")
