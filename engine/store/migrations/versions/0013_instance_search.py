"""instance search: the data's top-level scalar values, and the search's order indexes

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

import json

import sqlalchemy as sa
from alembic import op

from engine.datavalues import searchable

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    op.create_table(
        "instance_values",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name="fk_instance_values_instance_id_process_instances",
        ),
        sa.PrimaryKeyConstraint("instance_id", "name", name="pk_instance_values"),
        sqlite_with_rowid=False,
    )
    _fill()
    # After the fill: one sort of the finished table is cheaper than keeping the index in step row by row.
    op.create_index(
        "ix_instance_values_name_value_instance_id", "instance_values", ["name", "value", "instance_id"]
    )
    # (status) becomes (status, id): the same look-ups, and the search's status order off the index.
    op.drop_index("ix_process_instances_status", table_name="process_instances")
    op.create_index("ix_process_instances_status_id", "process_instances", ["status", "id"])
    op.create_index("ix_process_instances_model_key_id", "process_instances", ["model_key", "id"])
    op.create_index("ix_process_instances_ended_at_id", "process_instances", ["ended_at", "id"])


def _fill() -> None:
    """The values of every existing instance, read in id order a batch at a time."""
    conn = op.get_bind()
    values = sa.table("instance_values", sa.column("instance_id"), sa.column("name"), sa.column("value"))
    last = 0
    while True:
        rows = conn.execute(
            sa.text("SELECT id, data FROM process_instances WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            return
        found = [
            {"instance_id": row.id, "name": name, "value": text}
            for row in rows
            for name, text in searchable(json.loads(row.data or "{}")).items()
        ]
        if found:
            conn.execute(sa.insert(values), found)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_process_instances_ended_at_id", table_name="process_instances")
    op.drop_index("ix_process_instances_model_key_id", table_name="process_instances")
    op.drop_index("ix_process_instances_status_id", table_name="process_instances")
    op.create_index("ix_process_instances_status", "process_instances", ["status"])
    op.drop_index("ix_instance_values_name_value_instance_id", table_name="instance_values")
    op.drop_table("instance_values")
