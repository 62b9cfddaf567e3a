"""process overview: a version's tasks and its instances counted off covering indexes

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Covering: the overview computes each wait, and counts each version's open and overdue tasks,
    # from the index alone, never reading a task's row.
    op.create_index(
        "ix_user_tasks_version_waits",
        "user_tasks",
        ["version_id", "status", "completed_at", "element_id", "created_at", "due_at"],
    )
    # Instances by status, those ended in a period, per version: counted from the index alone.
    op.create_index(
        "ix_process_instances_status_ended_at_version_id",
        "process_instances",
        ["status", "ended_at", "version_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_process_instances_status_ended_at_version_id", table_name="process_instances")
    op.drop_index("ix_user_tasks_version_waits", table_name="user_tasks")
