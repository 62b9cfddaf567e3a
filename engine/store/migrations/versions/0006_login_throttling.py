"""login throttling

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject", name=op.f("pk_login_throttle")),
    )
    op.create_index("ix_login_throttle_updated_at", "login_throttle", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_throttle_updated_at", table_name="login_throttle")
    op.drop_table("login_throttle")
