"""inbox: tasks found by business key (exact or prefix) off an index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_user_tasks_business_key", "user_tasks", ["business_key"])


def downgrade() -> None:
    op.drop_index("ix_user_tasks_business_key", table_name="user_tasks")
