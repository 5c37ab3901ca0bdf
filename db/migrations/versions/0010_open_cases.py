"""open cases: one open case per person

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 20:30:00

One row per person (the keyed identity hash) with an open case, its primary key the guard
that a race of two intakes cannot open two cases (issue 9 §4, db/open_cases.py). Filled from
the cases still open: per person the earliest opened one (a person with two open cases from
before keeps the other running; the register names the first).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENDED = ("rejected", "stopped", "exhausted", "transferred_out")


def upgrade() -> None:
    op.create_table(
        "open_cases",
        sa.Column("identity_hash", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("report_separation", sa.Date(), nullable=True),
        sa.Column("registration_separation", sa.Date(), nullable=True),
        sa.Column("employer_uscc", sa.String(length=18), nullable=True),
        sa.Column("opened_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("identity_hash"),
        sa.UniqueConstraint("case_id"),
    )
    cases = sa.table(
        "cases",
        sa.column("case_id", sa.String()),
        sa.column("national_id_hash", sa.String()),
        sa.column("status", sa.String()),
        sa.column("stage", sa.String()),
        sa.column("separation_date", sa.Date()),
        sa.column("employer_report_received", sa.Date()),
        sa.column("registration_date", sa.Date()),
        sa.column("employer_uscc", sa.String()),
        sa.column("opened_at", db.types.UTCDateTime(timezone=True)),
    )
    rows = op.get_bind().execute(
        sa.select(cases)
        .where(
            cases.c.national_id_hash.is_not(None),
            cases.c.status.not_in(ENDED),
            cases.c.stage != "closed",
        )
        .order_by(cases.c.opened_at, cases.c.case_id)
    )
    seen: set[str] = set()
    register = []
    for row in rows:
        if row.national_id_hash in seen:
            continue
        seen.add(row.national_id_hash)
        register.append(
            {
                "identity_hash": row.national_id_hash,
                "case_id": row.case_id,
                "report_separation": row.separation_date if row.employer_report_received else None,
                "registration_separation": row.separation_date if row.registration_date else None,
                "employer_uscc": row.employer_uscc,
                "opened_at": row.opened_at,
            }
        )
    if register:
        op.bulk_insert(
            sa.table(
                "open_cases",
                sa.column("identity_hash", sa.String()),
                sa.column("case_id", sa.String()),
                sa.column("report_separation", sa.Date()),
                sa.column("registration_separation", sa.Date()),
                sa.column("employer_uscc", sa.String()),
                sa.column("opened_at", db.types.UTCDateTime(timezone=True)),
            ),
            register,
        )


def downgrade() -> None:
    op.drop_table("open_cases")
