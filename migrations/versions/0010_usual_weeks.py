"""usual weeks: the profile of each long window's series as last computed, per zone

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

A report learns every account's usual week from four weeks of readings (a bounded read of 168
points per series, then the profile): ``collect`` now keeps the result, and a reader uses it only
when the window's start, the zone, the code that computes it and the fingerprint of the readings
read all match (otherwise it computes the profile as before). A new table only: no existing row is
touched; dropping it loses nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usual_weeks",
        sa.Column("series_id", sa.Integer(), sa.ForeignKey("series.id"), primary_key=True),
        sa.Column("zone", sa.String(100), primary_key=True),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("model", sa.String(32), nullable=False),
        sa.Column("readings", sa.String(32), nullable=False),
        sa.Column("rates", sa.LargeBinary()),
        sa.Column("ratios", sa.LargeBinary()),
    )


def downgrade() -> None:
    op.drop_table("usual_weeks")
