"""inbox page indexes; tasks addressed to anyone get an 'anyone' candidate row

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO user_task_candidates (task_id, kind, name) SELECT t.id, 'anyone', '*' FROM user_tasks t "
        "WHERE NOT EXISTS (SELECT 1 FROM user_task_candidates c WHERE c.task_id = t.id)"
    )
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_user_tasks_status_due_at")
        batch_op.drop_index("ix_user_tasks_status_priority")
        batch_op.create_index("ix_user_tasks_status_due_at_id", ["status", "due_at", "id"], unique=False)
        batch_op.create_index(
            "ix_user_tasks_status_priority_id", ["status", sa.text("priority DESC"), "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("user_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_user_tasks_status_priority_id")
        batch_op.drop_index("ix_user_tasks_status_due_at_id")
        batch_op.create_index("ix_user_tasks_status_priority", ["status", "priority"], unique=False)
        batch_op.create_index("ix_user_tasks_status_due_at", ["status", "due_at"], unique=False)
    op.execute("DELETE FROM user_task_candidates WHERE kind = 'anyone'")
