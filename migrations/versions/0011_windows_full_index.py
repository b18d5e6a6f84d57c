"""windows: a partial index of the readings at 100 %

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Blocked time (``report``, ``status``, the dashboard) reads every account's readings at 100 % over
the last 7 days. Without an index on the value, that was a range read of every reading of the
week (about 200,000 rows for 50 accounts at 5 minutes, 16 ms of a report); the partial index holds
only the readings at 100 % (a few hundred), and covers the query. Created once at upgrade (a scan
of the table); no row is changed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    full = sa.text("used_percent >= 100")
    op.create_index("ix_windows_full", "windows", ["series_id", "collected_at", "used_percent", "reset_at"],
                    sqlite_where=full, postgresql_where=full)


def downgrade() -> None:
    op.drop_index("ix_windows_full", table_name="windows")
