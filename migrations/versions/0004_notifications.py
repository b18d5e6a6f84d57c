"""notifications: what `tracker notify` sent, so each episode notifies once

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("account", sa.Text(), primary_key=True),
        sa.Column("limit_name", sa.Text(), primary_key=True),
        sa.Column("kind", sa.String(64), primary_key=True),
        sa.Column("rule", sa.String(32), primary_key=True),
        sa.Column("channel", sa.Text(), primary_key=True),
        sa.Column("sent_at", sa.BigInteger(), nullable=False),
        sa.Column("reset_at", sa.BigInteger()),
    )


def downgrade() -> None:
    op.drop_table("notifications")
