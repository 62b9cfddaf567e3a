"""process overview: a version's tasks by status and completion time, off an index

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
    op.create_index(
        "ix_user_tasks_version_id_status_completed_at", "user_tasks", ["version_id", "status", "completed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_user_tasks_version_id_status_completed_at", table_name="user_tasks")
