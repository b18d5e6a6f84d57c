"""snapshots: the workspace, the seat and which spending limit was reached

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

Newer answers (and app-server messages) may name the workspace they are about (``workspace_id``
and a label) and the person's ``seat_type``, and ``spend_control.reached_limit_type`` says which
spending limit (individual, group, workspace, role) was reached. Kept per snapshot; the group,
workspace and role spending limits themselves are limits in the existing tables (``spend_group``,
``spend_workspace``, ``spend_role``). Nullable columns, added in place: no rebuild of a large
history, every row kept.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = (("spend_reached_type", 64), ("workspace_id", 200), ("workspace_label", 200), ("seat_type", 64))


def upgrade() -> None:
    for name, length in COLUMNS:  # text from outside: unbounded on PostgreSQL (as revision 0003)
        op.add_column("snapshots", sa.Column(name, sa.String(length).with_variant(sa.Text(), "postgresql")))


def downgrade() -> None:
    for name, _length in reversed(COLUMNS):
        op.drop_column("snapshots", name)
