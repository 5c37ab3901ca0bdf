"""the regions of each staff user; who changed a payment's payee

Revision ID: 0016
Revises: 0011
Create Date: 2026-11-30 20:45:00

users.regions: comma-separated region codes whose cases the user works, or "*" for every
region (explicit; existing users get "*"). payments.payee_changed_by: the user who re-issued a
returned payment to another account or name (a run holding one needs a second approval).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "regions",
                sqlmodel.sql.sqltypes.AutoString(length=256),
                nullable=False,
                server_default="*",
            )
        )
    with op.batch_alter_table("payments") as batch:
        batch.add_column(
            sa.Column(
                "payee_changed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("payee_changed_by")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("regions")
