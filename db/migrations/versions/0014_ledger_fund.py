"""ledger by fund: every payments row names its region's fund

Revision ID: 0014
Revises: 0011
Create Date: 2026-11-30 21:10:00

payments.fund (issue 12 §3): the unemployment-insurance fund an entry belongs to, `UI-<region
code>` (the policy files' [fund] code); rows written before are filled from their region.
Indexed with the category for the finance page's totals per fund, category and month.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("fund", sa.String(length=16), nullable=True))
    op.execute("UPDATE payments SET fund = 'UI-' || region_code WHERE fund IS NULL")
    with op.batch_alter_table("payments") as batch:
        batch.alter_column("fund", existing_type=sa.String(length=16), nullable=False)
        batch.create_index("ix_payments_fund_category", ["fund", "category"])


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_index("ix_payments_fund_category")
        batch.drop_column("fund")
