"""operations: the stalled instances (an error on the row) found off a partial index

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

WHERE = sa.text("error IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_process_instances_stalled",
        "process_instances",
        ["id"],
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_process_instances_stalled", table_name="process_instances")
