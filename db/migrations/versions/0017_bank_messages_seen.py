"""the bank's message IDs seen (nonces of signed pain.002 and camt.053)

Revision ID: 0017
Revises: 0012
Create Date: 2026-11-30 21:30:00

Issue 13 §5: every answer from the bank is signed over timestamp and body; its message ID
is kept so the same message presented a second time is refused as a replay.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_messages_seen",
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("received_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("msg_id"),
    )


def downgrade() -> None:
    op.drop_table("bank_messages_seen")
