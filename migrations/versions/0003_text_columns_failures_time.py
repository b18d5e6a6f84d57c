"""text columns for what the API and the file system hand us (PostgreSQL); failures by time

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Names, plans, limit ids, credit balances and limit-reached types come from the server or from
file names and may be longer than the sizes 0001 guessed: PostgreSQL refused them and with them
a whole collection. They become TEXT there (SQLite never enforced the sizes, so its tables stay
as they are: no rebuild of a large history). ``prune`` deletes failures by time on every run:
it gets an index.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, column, size before this revision)
WIDENED = [
    ("accounts", "name", 200), ("accounts", "account_id", 100), ("accounts", "email", 320),
    ("accounts", "plan", 32), ("snapshots", "plan", 32), ("snapshots", "reached_type", 64),
    ("snapshots", "credits_balance", 64), ("series", "limit_name", 100), ("import_progress", "account", 200),
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column, size in WIDENED:
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(size))
    op.create_index("ix_failures_at", "failures", ["at"])


def downgrade() -> None:
    op.drop_index("ix_failures_at", table_name="failures")
    if op.get_bind().dialect.name == "postgresql":
        for table, column, size in WIDENED:
            op.alter_column(table, column, type_=sa.String(size), existing_type=sa.Text(),
                            postgresql_using=f"left({column}, {size})")
