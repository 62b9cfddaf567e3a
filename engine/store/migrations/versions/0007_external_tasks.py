"""external tasks

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_tasks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("model_key", sa.String(length=200), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.Column("spiff_task_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.BigInteger(), nullable=False),
        sa.Column("business_key", sa.String(length=100), nullable=True),
        sa.Column("worker_id", sa.String(length=200), nullable=True),
        sa.Column("lock_expires_at", sa.DateTime(), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_details", sa.Text(), nullable=True),
        sa.Column("available_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_external_tasks_instance_id_process_instances"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["model_versions.id"], name=op.f("fk_external_tasks_version_id_model_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_tasks")),
    )
    op.create_index("ix_external_tasks_status_topic", "external_tasks", ["status", "topic"], unique=False)
    op.create_index(
        "ix_external_tasks_instance_id_status", "external_tasks", ["instance_id", "status"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_external_tasks_instance_id_status", table_name="external_tasks")
    op.drop_index("ix_external_tasks_status_topic", table_name="external_tasks")
    op.drop_table("external_tasks")
