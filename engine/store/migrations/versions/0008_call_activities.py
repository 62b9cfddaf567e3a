"""call activities: child instances linked to their parent

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with a reference in place; batch mode would copy the table, which its
        # foreign keys (tasks, history, timers …) forbid once it holds rows.
        op.execute(
            "ALTER TABLE process_instances ADD COLUMN parent_instance_id INTEGER "
            "REFERENCES process_instances (id)"
        )
    else:
        op.add_column("process_instances", sa.Column("parent_instance_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_process_instances_parent_instance_id_process_instances",
            "process_instances",
            "process_instances",
            ["parent_instance_id"],
            ["id"],
        )
    op.add_column("process_instances", sa.Column("parent_element_id", sa.String(length=200), nullable=True))
    op.add_column("process_instances", sa.Column("parent_spiff_task_id", sa.String(length=36), nullable=True))
    op.create_index("ix_process_instances_parent_instance_id", "process_instances", ["parent_instance_id"])
    op.create_table(
        "instance_calls",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("parent_instance_id", sa.Integer(), nullable=False),
        sa.Column("parent_element_id", sa.String(length=200), nullable=False),
        sa.Column("parent_spiff_task_id", sa.String(length=36), nullable=False),
        sa.Column("called_key", sa.String(length=200), nullable=False),
        sa.Column("child_instance_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_instance_id"],
            ["process_instances.id"],
            name="fk_instance_calls_parent_instance_id_process_instances",
        ),
        sa.ForeignKeyConstraint(
            ["child_instance_id"],
            ["process_instances.id"],
            name="fk_instance_calls_child_instance_id_process_instances",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_instance_calls"),
    )
    op.create_index(
        "ix_instance_calls_parent_instance_id_status", "instance_calls", ["parent_instance_id", "status"]
    )
    op.create_index("ix_instance_calls_child_instance_id", "instance_calls", ["child_instance_id"])


def downgrade() -> None:
    op.drop_index("ix_instance_calls_child_instance_id", table_name="instance_calls")
    op.drop_index("ix_instance_calls_parent_instance_id_status", table_name="instance_calls")
    op.drop_table("instance_calls")
    op.drop_index("ix_process_instances_parent_instance_id", table_name="process_instances")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            "fk_process_instances_parent_instance_id_process_instances",
            "process_instances",
            type_="foreignkey",
        )
    # SQLite (3.35+) drops a column in place unless it is referenced or indexed: none of these is now.
    for column in ("parent_spiff_task_id", "parent_element_id", "parent_instance_id"):
        op.drop_column("process_instances", column)
