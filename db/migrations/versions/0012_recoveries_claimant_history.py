"""overpayment recoveries, their repayments and offsets, and the claimant history

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 20:40:00

Issue 11 §4-5: one recovery per overpayment (unique key), its repayments and offsets (each
with its `refund` ledger row), a supervisor's approval of an offset against a later case, and
the unused months each closed case leaves its claimant (keyed by the identity hash).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "recoveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("person_ref", sa.String(length=64), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("evidence", sa.String(length=512), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("referred", sa.Boolean(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(op.f("ix_recoveries_case_id"), "recoveries", ["case_id"])
    op.create_index(op.f("ix_recoveries_person_ref"), "recoveries", ["person_ref"])
    op.create_index(op.f("ix_recoveries_status"), "recoveries", ["status"])
    op.create_table(
        "recovery_repayments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("recovery_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("offset_payment", sa.String(length=35), nullable=True),
        sa.Column("offset_case_id", sa.String(length=32), nullable=True),
        _ts("at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sa.UniqueConstraint("end_to_end_id"),
    )
    op.create_index(
        op.f("ix_recovery_repayments_recovery_id"), "recovery_repayments", ["recovery_id"]
    )
    op.create_index(
        op.f("ix_recovery_repayments_offset_case_id"), "recovery_repayments", ["offset_case_id"]
    )
    op.create_table(
        "recovery_offsets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recovery_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        _ts("requested_at"),
        _ts("decided_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recovery_id", "case_id", name="uq_recovery_offsets_recovery_case"),
    )
    op.create_index(op.f("ix_recovery_offsets_recovery_id"), "recovery_offsets", ["recovery_id"])
    op.create_index(op.f("ix_recovery_offsets_case_id"), "recovery_offsets", ["case_id"])
    op.create_table(
        "claimant_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("person_ref", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("entitlement_months", sa.Integer(), nullable=False),
        sa.Column("used_months", sa.Integer(), nullable=False),
        sa.Column("unused_months", sa.Integer(), nullable=False),
        sa.Column("carried_in", sa.Integer(), nullable=False),
        sa.Column("carried_from", sa.JSON(), nullable=False),
        sa.Column("carried_into", sa.String(length=32), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        _ts("at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    op.create_index(op.f("ix_claimant_history_person_ref"), "claimant_history", ["person_ref"])


def downgrade() -> None:
    op.drop_table("claimant_history")
    op.drop_table("recovery_offsets")
    op.drop_table("recovery_repayments")
    op.drop_table("recoveries")
