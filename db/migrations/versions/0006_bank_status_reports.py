"""bank status reports kept as received; payment runs are told their IDs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 17:40:00

The bank's webhook used to signal a payment run with every status it reported (a run of
100,000 put ~15 MB of statuses into its history: the signals and the apply inputs). The API now
keeps each verified pain.002 here as the bytes it received (whatever encoding the XML
declares), keyed by their SHA-256 (a report delivered twice is one row), and signals the run
with that key and a count; the apply activity reads it back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_status_reports",
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("statuses", sa.Integer(), nullable=False),
        sa.Column("received_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("report_id"),
    )
    op.create_index(
        op.f("ix_bank_status_reports_run_id"), "bank_status_reports", ["run_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_bank_status_reports_run_id"), table_name="bank_status_reports")
    op.drop_table("bank_status_reports")
