"""token versions and TOTP secrets of users

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-30 20:10:00

users.token_version (in every token: a logout, a password change or a deactivation bumps it
and so revokes earlier tokens) and users.totp_secret (the second factor of finance and
supervisors).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("token_version")
