"""the medical cover's paying region (an in-province transfer keeps the paying fund)

Revision ID: 0020
Revises: 0017
Create Date: 2026-11-30 23:10:00

Issue 12 §2: within the province (220100 -> 220200) the medical relationship moves to the
destination but the paying agency does not change, so the premiums stay on the paying
(source) fund's ledger. NULL: the cover's own region pays.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("medical_coverage") as batch:
        batch.add_column(sa.Column("paying_region_code", sa.String(length=6), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("medical_coverage") as batch:
        batch.drop_column("paying_region_code")
