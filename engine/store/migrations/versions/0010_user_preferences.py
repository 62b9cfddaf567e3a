"""user preferences: language and time zone of the web UI

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default) on both dialects: no table copy, existing users keep
    # "not chosen".
    op.add_column("users", sa.Column("locale", sa.String(length=10), nullable=True))
    op.add_column("users", sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) drops an unindexed, unreferenced column in place: no copy of the users table
    # (which tokens and group memberships reference).
    op.drop_column("users", "time_zone")
    op.drop_column("users", "locale")
