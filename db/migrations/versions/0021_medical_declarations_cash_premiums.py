"""a declaration batch keeps its month's cash-option premium count

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 06:05:00

范文1 §4.6: a cover on the cash option is not declared; its month's premium is owed to the
claimant when the batch is assembled. The count was only answered, not stored, so the
assembly run again (a retry, a replay) answered 0. Existing batches: 0 (not known).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("medical_declarations") as batch:
        batch.add_column(
            sa.Column("cash_premiums", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("medical_declarations") as batch:
        batch.drop_column("cash_premiums")
