"""worklist partial indexes in the list's own order (priority DESC), escalated in the group one

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 14:10:00

The worklist pages by `due_at ASC NULLS LAST, priority DESC, task_id`: with `priority DESC` in
the index a page is a Limit over an ordered index scan, no sort. `escalated` at the end of the
group index makes the group list's `escalated=false` an index condition, and its count (and
the staff pages' counts) index-only scans.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status IN ('open', 'claimed')")
WHERE = {"postgresql_where": ACTIVE, "sqlite_where": ACTIVE}


def upgrade() -> None:
    op.drop_index("ix_tasks_active_group_due", table_name="tasks", **WHERE)
    op.drop_index("ix_tasks_active_assignee_due", table_name="tasks", **WHERE)
    op.create_index(
        "ix_tasks_active_group_due",
        "tasks",
        ["group", "due_at", sa.text("priority DESC"), "task_id", "escalated"],
        **WHERE,
    )
    op.create_index(
        "ix_tasks_active_assignee_due",
        "tasks",
        ["assignee", "due_at", sa.text("priority DESC"), "task_id"],
        **WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_active_group_due", table_name="tasks", **WHERE)
    op.drop_index("ix_tasks_active_assignee_due", table_name="tasks", **WHERE)
    op.create_index(
        "ix_tasks_active_assignee_due",
        "tasks",
        ["assignee", "due_at", "priority", "task_id"],
        **WHERE,
    )
    op.create_index(
        "ix_tasks_active_group_due",
        "tasks",
        ["group", "due_at", "priority", "task_id"],
        **WHERE,
    )
