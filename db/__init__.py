"""The SQL database: tables (SQLModel), engine, migrations (Alembic) and demo seed."""
