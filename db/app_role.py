"""The application's least-privilege PostgreSQL role (issue 13 §6).

Migrations run as the database's owner (`MIGRATION_DATABASE_URL`); the API and the worker
connect as this role (`DATABASE_URL`): it reads and writes the tables' rows, may only read
and append to `audit_log` (no UPDATE, DELETE or TRUNCATE: the triggers of migration 0011
refuse them too) and `alembic_version` read only, and creates, alters or drops nothing (no
CREATE on the schema, owner of no table). Run after every migration (new tables get their
grants; compose's `migrate` service and `make migrate` do):

    MIGRATION_DATABASE_URL=postgresql+psycopg2://owner@host/db APP_DB_PASSWORD=... \\
        python -m db.app_role ui_app

Idempotent. Nothing to do on SQLite (one file, one process owner): said, exit code 0."""

from __future__ import annotations

import argparse
import os
import re
import sys

from sqlalchemy import Connection, Engine, text

from core.settings import get_settings
from db.engine import make_engine

APPEND_ONLY = ("audit_log",)
READ_ONLY = ("alembic_version",)
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(engine: Engine, role: str, password: str | None = None) -> bool:
    """Create (or update) `role` with its grants; False on a database that is not PostgreSQL."""
    if engine.dialect.name != "postgresql":
        return False
    if not NAME.match(role):
        raise ValueError(f"role name {role!r}: lower-case letters, digits and _ only")
    with engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        if exists.first() is None:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'ALTER ROLE "{role}" NOSUPERUSER NOCREATEDB NOCREATEROLE LOGIN'))
        if password:
            conn.execute(text(f'ALTER ROLE "{role}" PASSWORD :p'), {"p": password})
        _grant(conn, role, schema)
    return True


def _grant(conn: Connection, role: str, schema: str) -> None:
    q = f'"{schema}"'
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"'))
    conn.execute(text(f"REVOKE CREATE ON SCHEMA {q} FROM PUBLIC"))
    conn.execute(text(f'REVOKE CREATE ON SCHEMA {q} FROM "{role}"'))
    conn.execute(text(f'GRANT USAGE ON SCHEMA {q} TO "{role}"'))
    conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA {q} FROM "{role}"'))
    conn.execute(
        text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {q} TO "{role}"')
    )
    for table in APPEND_ONLY + READ_ONLY:
        conn.execute(text(f'REVOKE UPDATE, DELETE, TRUNCATE ON {q}."{table}" FROM "{role}"'))
    for table in READ_ONLY:
        conn.execute(text(f'REVOKE INSERT ON {q}."{table}" FROM "{role}"'))
    conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q} TO "{role}"'))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db.app_role", description=__doc__)
    parser.add_argument("role", help="the role the API and the worker connect as")
    parser.add_argument(
        "--password-env",
        default="APP_DB_PASSWORD",
        help="environment variable holding its password (unset: left as it is)",
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    engine = make_engine(settings.effective_migration_database_url)
    try:
        done = grant_app_role(engine, args.role, os.environ.get(args.password_env) or None)
    finally:
        engine.dispose()
    sys.stdout.write(
        f"role {args.role}: " + ("granted\n" if done else "not PostgreSQL, nothing to do\n")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
