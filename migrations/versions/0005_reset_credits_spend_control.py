"""snapshots: reset credits and spend control, per snapshot

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

``wham/usage`` may say how many banked resets the person can redeem
(``rate_limit_reset_credits.available_count``) and whether a workspace spending limit was
reached (``spend_control.reached``). Both are kept per snapshot; the individual spending limit
itself is stored as a limit (``spend_individual``) in the existing tables. Nullable columns,
added in place: no rebuild of a large history.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("snapshots", sa.Column("reset_credits_available", sa.Integer()))
    op.add_column("snapshots", sa.Column("spend_control_reached", sa.Boolean()))


def downgrade() -> None:
    # In place (SQLite >= 3.35 drops a plain column itself): a batch rebuild of snapshots would
    # trip the windows' foreign keys and copy the whole history.
    op.drop_column("snapshots", "spend_control_reached")
    op.drop_column("snapshots", "reset_credits_available")
