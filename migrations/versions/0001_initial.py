"""initial schema: accounts, snapshots, series, windows, failures

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("account_id", sa.String(100)),
        sa.Column("email", sa.String(320)),
        sa.Column("plan", sa.String(32)),
        sa.Column("source_path", sa.Text()),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("collected_at", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("plan", sa.String(32)),
        sa.Column("limit_reached", sa.Boolean()),
        sa.Column("reached_type", sa.String(64)),
        sa.Column("credits_balance", sa.String(64)),
        sa.Column("raw", sa.LargeBinary()),
    )
    op.create_index("ix_snapshots_account_time", "snapshots", ["account_id", "collected_at"])
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("limit_name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("window_seconds", sa.Integer(), nullable=False),
        sa.UniqueConstraint("account_id", "limit_name", "kind", "window_seconds"),
    )
    op.create_table(
        "windows",
        sa.Column("series_id", sa.Integer(), sa.ForeignKey("series.id"), primary_key=True),
        sa.Column("collected_at", sa.BigInteger(), primary_key=True),
        sa.Column("snapshot_id", sa.BigInteger(), sa.ForeignKey("snapshots.id"), primary_key=True),
        sa.Column("used_percent", sa.Float(), nullable=False),
        sa.Column("reset_at", sa.BigInteger()),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "failures",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("http_status", sa.Integer()),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary()),
    )
    op.create_index("ix_failures_account_time", "failures", ["account_id", "at"])


def downgrade() -> None:
    op.drop_table("failures")
    op.drop_table("windows")
    op.drop_table("series")
    op.drop_index("ix_snapshots_account_time", table_name="snapshots")
    op.drop_table("snapshots")
    op.drop_table("accounts")
