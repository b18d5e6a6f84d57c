"""The schema as SQLAlchemy Core tables. Changes go through Alembic revisions in ``migrations/``.

Core rather than the ORM: the store speaks Core anyway, and not importing ``sqlalchemy.orm``
takes a fifth off every command's start-up. Times are stored as integers (UTC epoch milliseconds,
or seconds for reset times): compact, index-friendly, identical on SQLite and PostgreSQL. Window
values live in a narrow table clustered by (series, time), so a report reads a few index pages
per account, never the whole history.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

# INTEGER PRIMARY KEY is SQLite's rowid alias; BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer, "sqlite")


def Outside(size: int):  # reads as a type in the table definitions
    """Text that comes from outside (server, file names): unbounded on PostgreSQL (revision 0003).

    SQLite never enforces a VARCHAR size, so its tables keep the declared size as 0001 made them.
    """
    return String(size).with_variant(Text(), "postgresql")


class EpochMillis(TypeDecorator):
    """An aware UTC datetime stored as integer milliseconds since the epoch."""

    impl = BigInteger
    cache_ok = True
    scale = 1000

    def process_bind_param(self, value, dialect):
        if value is None or isinstance(value, int):
            return value
        return int(round(value.timestamp() * self.scale))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return datetime.fromtimestamp(value / self.scale, tz=UTC)


class EpochSeconds(EpochMillis):
    """An aware UTC datetime stored as integer seconds since the epoch (reset times)."""

    scale = 1
    cache_ok = True


metadata = MetaData()

accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Outside(200), nullable=False, unique=True),
    Column("account_id", Outside(100)),
    Column("email", Outside(320)),
    Column("plan", Outside(32)),
    Column("source_path", Text),
    Column("created_at", EpochMillis, nullable=False),
)

snapshots = Table(
    "snapshots", metadata,
    Column("id", BigId, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("collected_at", EpochMillis, nullable=False),
    Column("source", String(16), nullable=False),  # api | session-log | demo
    Column("plan", Outside(32)),
    Column("limit_reached", Boolean),
    Column("reached_type", Outside(64)),
    Column("credits_balance", Outside(64)),
    Column("raw", LargeBinary),  # the response body, tokens removed, see tracker.storage.codec
    Column("reset_credits_available", Integer),  # banked resets (revision 0005)
    Column("spend_control_reached", Boolean),
    # Workspace and seat, and which spending limit was reached (revision 0008)
    Column("spend_reached_type", Outside(64)),
    Column("workspace_id", Outside(200)),
    Column("workspace_label", Outside(200)),
    Column("seat_type", Outside(64)),
    # Session logs' token counts (revision 0006): the line's use, then the session's cumulative totals
    *(Column(f"{prefix}{name}_tokens", BigInteger) for prefix in ("", "total_")
      for name in ("input", "cached_input", "output", "reasoning_output")),
    Index("ix_snapshots_account_time", "account_id", "collected_at"),
)

# One tracked window of one account: (limit, kind, length). 0 seconds = length unknown.
series = Table(
    "series", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("limit_name", Outside(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("window_seconds", Integer, nullable=False),
    UniqueConstraint("account_id", "limit_name", "kind", "window_seconds"),
)

windows = Table(
    "windows", metadata,
    Column("series_id", Integer, ForeignKey("series.id"), primary_key=True),
    Column("collected_at", EpochMillis, primary_key=True),
    Column("snapshot_id", BigInteger, ForeignKey("snapshots.id"), primary_key=True),
    Column("used_percent", Float, nullable=False),
    Column("reset_at", EpochSeconds),
    # the readings at 100 % only (revision 0011): blocked time reads them for every account without
    # scanning the week's other readings (covering, so no lookup in the table either)
    Index("ix_windows_full", "series_id", "collected_at", "used_percent", "reset_at",
          sqlite_where=text("used_percent >= 100"), postgresql_where=text("used_percent >= 100")),
    sqlite_with_rowid=False,
)

failures = Table(
    "failures", metadata,
    Column("id", BigId, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("at", EpochMillis, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("http_status", Integer),
    Column("message", Text, nullable=False),
    Column("raw", LargeBinary),
    Index("ix_failures_account_time", "account_id", "at"),
    Index("ix_failures_at", "at"),
)

# How far a session log was read; head_sha1 (of its first bytes) detects a rewrite.
import_progress = Table(
    "import_progress", metadata,
    Column("path", Text, primary_key=True),
    Column("account", Outside(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("head_sha1", String(40), nullable=False),
    Column("token_totals", Text),  # the session's cumulative token counts at ``offset`` (JSON, revision 0006)
)

# What `tracker notify` has sent, per condition and channel: one row while an episode lasts, so a
# condition that holds for hours notifies once (see tracker.notify.rules).
notifications = Table(
    "notifications", metadata,
    Column("account", Text, primary_key=True),
    Column("limit_name", Text, primary_key=True),  # "" for account-wide rules (stale)
    Column("kind", String(64), primary_key=True),
    Column("rule", String(32), primary_key=True),
    Column("channel", Text, primary_key=True),
    Column("sent_at", EpochMillis, nullable=False),
    Column("reset_at", EpochSeconds),  # the window's reset time when it was sent
)


# Banked reset credits as the credits list gave them (revision 0009): one row per account and credit
# id, kept when it leaves the list (redeemed or expired credits are history too).
reset_credits = Table(
    "reset_credits", metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("credit_id", Outside(200), primary_key=True),
    Column("reset_type", Outside(64)),
    Column("title", Outside(200)),
    Column("status", Outside(32)),
    Column("granted_at", EpochSeconds),
    Column("expires_at", EpochSeconds),
    Column("redeemed_at", EpochSeconds),
    Column("first_seen_at", EpochMillis, nullable=False),
    Column("seen_at", EpochMillis, nullable=False),  # the last list that named it
)

# The last request for each account's credits list: when (the once-an-hour limit), how it went, and
# the last list known (its time and count); the answer's body, tokens removed, as for snapshots.
reset_credit_fetches = Table(
    "reset_credit_fetches", metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("checked_at", EpochMillis, nullable=False),
    Column("outcome", String(16), nullable=False),  # ok | unknown
    Column("error", Text),
    Column("listed_at", EpochMillis),
    Column("available_count", Integer),
    Column("raw", LargeBinary),
)


# The usual week last computed for each long window's series, per zone (revision 0010): a memo that
# `collect` keeps so that a report need not learn four weeks again. Never a source of truth: a reader
# uses a row only when the window's start, the zone, the model (the code that computes it) and the
# fingerprint of the readings it was learned from all equal its own; otherwise it computes afresh.
usual_weeks = Table(
    "usual_weeks", metadata,
    Column("series_id", Integer, ForeignKey("series.id"), primary_key=True),
    Column("zone", String(100), primary_key=True),
    Column("window_start", EpochMillis, nullable=False),
    Column("model", String(32), nullable=False),
    Column("readings", String(32), nullable=False),  # fingerprint of the grid read it was learned from
    Column("rates", LargeBinary),  # 168 little-endian doubles; NULL: too little history for a profile
    Column("ratios", LargeBinary),
)


def stored_length(window_seconds: int | None) -> int:
    """The window length as the series key stores it: NULLs are never equal in a UNIQUE key, so an
    unknown length is 0 in this one column, and None everywhere else."""
    return window_seconds or 0


def series_id_query(key):  # a SeriesKey in, a Select of one id out
    """The id of the series a ``SeriesKey`` names (no row when there is none)."""
    from sqlalchemy import select

    return (select(series.c.id).join(accounts, series.c.account_id == accounts.c.id)
            .where(accounts.c.name == key.account, series.c.limit_name == key.limit, series.c.kind == key.kind,
                   series.c.window_seconds == stored_length(key.window_seconds)))
