"""calendar years loaded by an administrator; provisional deadlines and tasks

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:00:00

chinese-calendar knows 2004-2026; a deadline that consults a later year is computed with
weekends only and is provisional until an administrator loads that year's official schedule.
`calendar_years` keeps each loaded year (every API process and the worker read it; `version`
rises with each load). `cases.provisional_years` names the years a case's running deadlines
were computed without (the cases to recompute when one is loaded); `tasks.provisional` marks
a task whose due time derives from such a deadline.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("document", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("document_format", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("loaded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("loaded_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year"),
        sa.UniqueConstraint("version"),
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column(
                "provisional_years", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )
        batch.create_index(op.f("ix_cases_provisional_years"), ["provisional_years"])
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("provisional", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("provisional")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index(op.f("ix_cases_provisional_years"))
        batch.drop_column("provisional_years")
    op.drop_table("calendar_years")
