"""reset credits: each banked credit with its expiry, and the last request for the list

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

``GET {base}/wham/rate-limit-reset-credits`` lists an account's banked window resets (id, type,
title, status, grant, expiry and redemption times). ``reset_credits`` keeps one row per account
and credit id (upserted, never deleted: a redeemed or expired credit stays as history);
``reset_credit_fetches`` the last request per account (its time sets the once-an-hour limit, its
outcome whether the list is known). New tables only: no existing row is touched.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _text(size: int):
    return sa.String(size).with_variant(sa.Text(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "reset_credits",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("credit_id", _text(200), primary_key=True),
        sa.Column("reset_type", _text(64)),
        sa.Column("title", _text(200)),
        sa.Column("status", _text(32)),
        sa.Column("granted_at", sa.BigInteger()),
        sa.Column("expires_at", sa.BigInteger()),
        sa.Column("redeemed_at", sa.BigInteger()),
        sa.Column("first_seen_at", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "reset_credit_fetches",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("checked_at", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("listed_at", sa.BigInteger()),
        sa.Column("available_count", sa.Integer()),
        sa.Column("raw", sa.LargeBinary()),
    )


def downgrade() -> None:
    op.drop_table("reset_credit_fetches")
    op.drop_table("reset_credits")
