"""series: a window of about 30 days is its own kind, ``monthly``

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

Windows are labelled by length. Until this revision anything of six days or more was ``weekly``,
so a free account's 30-day window was stored (and forecast, and shown) as a week. Series of 20 to
45 days become ``monthly``; a "weekly" series longer than that becomes ``other`` (kept, with its
length), as new readings of those lengths are labelled now. Only the series rows' label changes:
every reading stays where it is.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DAY = 86400
MONTHLY = (20 * DAY, 45 * DAY)  # tracker.kinds.MONTHLY_SECONDS, as of this revision


def upgrade() -> None:
    op.execute(f"UPDATE series SET kind = 'monthly' WHERE kind = 'weekly' "
               f"AND window_seconds BETWEEN {MONTHLY[0]} AND {MONTHLY[1]}")
    op.execute(f"UPDATE series SET kind = 'other' WHERE kind = 'weekly' AND window_seconds > {MONTHLY[1]}")
    # An episode `notify` already sent about such a window keeps its key under the new label (no
    # second notice): where the account's limit has a monthly series and no weekly one left.
    op.execute("UPDATE notifications SET kind = 'monthly' WHERE kind = 'weekly' AND EXISTS ("
               "SELECT 1 FROM series s JOIN accounts a ON a.id = s.account_id WHERE a.name = notifications.account "
               "AND s.limit_name = notifications.limit_name AND s.kind = 'monthly') AND NOT EXISTS ("
               "SELECT 1 FROM series s JOIN accounts a ON a.id = s.account_id WHERE a.name = notifications.account "
               "AND s.limit_name = notifications.limit_name AND s.kind = 'weekly')")


def downgrade() -> None:
    op.execute("UPDATE notifications SET kind = 'weekly' WHERE kind = 'monthly'")
    op.execute(f"UPDATE series SET kind = 'weekly' WHERE kind = 'monthly' OR "
               f"(kind = 'other' AND window_seconds >= {MONTHLY[0]})")
