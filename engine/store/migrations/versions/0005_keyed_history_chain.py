"""keyed history chain (MAC key generations) and signed checkpoints

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("history_events", sa.Column("key_gen", sa.Integer(), nullable=True)),
    ("process_instances", sa.Column("head_seal", sa.String(length=80), nullable=True)),
)


def upgrade() -> None:
    # Existing events keep NULL: they were chained with plain SHA-256 and verify as "unkeyed".
    # A column may already be there: downgrade keeps them (see below).
    inspector = sa.inspect(op.get_bind())
    for table, column in _COLUMNS:
        if column.name not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, column)


def downgrade() -> None:
    # The columns stay. Dropping them would erase which key signed each event, and a later
    # upgrade would then read every keyed event as a plain SHA-256 one, i.e. as forged. The older
    # code ignores them; what it writes meanwhile (NULL key_gen, an unchanged head_seal) verifies
    # as unkeyed or broken afterwards, as any write without the key should.
    pass
