"""medical coverage, and the monthly declarations to the medical-insurance agency

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-30 16:50:00

A claimant's medical and maternity cover while benefits are paid (one row per case, the
identity number kept only for the agency's declaration), the monthly declaration batches per
region and month with the agency's answer, and their lines (unique per case, month and
action: a month is declared once).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "medical_coverage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("person_ref", sa.String(length=64), nullable=False),
        sa.Column("national_id", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("stop_date", sa.Date(), nullable=True),
        sa.Column("stop_reason", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cash_option", sa.Boolean(), nullable=False),
        sa.Column("cash_option_request", sa.JSON(), nullable=True),
        sa.Column("bank_code", sa.String(length=16), nullable=True),
        sa.Column("account_number", sa.String(length=34), nullable=True),
        sa.Column("account_name", sa.String(length=128), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", name="uq_medical_coverage_case"),
    )
    op.create_index(
        op.f("ix_medical_coverage_person_ref"), "medical_coverage", ["person_ref"], unique=False
    )
    op.create_index(
        "ix_medical_coverage_region_status", "medical_coverage", ["region_code", "status"]
    )
    op.create_table(
        "medical_declarations",
        sa.Column("batch_key", sa.String(length=48), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("workflow_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("premium_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        _ts("created_at"),
        _ts("declared_at", nullable=True),
        _ts("answered_at", nullable=True),
        _ts("applied_at", nullable=True),
        sa.PrimaryKeyConstraint("batch_key"),
    )
    op.create_index(
        "ix_medical_declarations_region_month", "medical_declarations", ["region_code", "month"]
    )
    op.create_table(
        "medical_declaration_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.String(length=40), nullable=False),
        sa.Column("batch_key", sa.String(length=48), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("person_ref", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("premium", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("stop_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("duplicate_premium", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("line_id"),
        sa.UniqueConstraint(
            "case_id", "month", "action", name="uq_medical_lines_case_month_action"
        ),
    )
    for column in ("batch_key", "case_id"):
        op.create_index(
            op.f(f"ix_medical_declaration_lines_{column}"),
            "medical_declaration_lines",
            [column],
            unique=False,
        )


def downgrade() -> None:
    for column in ("case_id", "batch_key"):
        op.drop_index(
            op.f(f"ix_medical_declaration_lines_{column}"), table_name="medical_declaration_lines"
        )
    op.drop_table("medical_declaration_lines")
    op.drop_index("ix_medical_declarations_region_month", table_name="medical_declarations")
    op.drop_table("medical_declarations")
    op.drop_index("ix_medical_coverage_region_status", table_name="medical_coverage")
    op.drop_index(op.f("ix_medical_coverage_person_ref"), table_name="medical_coverage")
    op.drop_table("medical_coverage")
