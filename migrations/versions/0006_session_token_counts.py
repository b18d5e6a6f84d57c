"""snapshots: the token counts of Codex session logs

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

A session log's ``token_count`` line carries the session's cumulative token counts
(``info.total_token_usage``) beside the rate-limit reading. Each imported snapshot keeps the
line's own use (input, cached input, output, reasoning output: the difference from the file's
previous line) and the cumulative totals as logged; ``import_progress`` keeps the totals where a
file was left, so the next import resumes the differences. Nullable columns, added in place.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = [f"{prefix}{name}_tokens" for prefix in ("", "total_")
           for name in ("input", "cached_input", "output", "reasoning_output")]


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("snapshots", sa.Column(name, sa.BigInteger()))
    op.add_column("import_progress", sa.Column("token_totals", sa.Text()))


def downgrade() -> None:
    op.drop_column("import_progress", "token_totals")
    for name in reversed(COLUMNS):
        op.drop_column("snapshots", name)
