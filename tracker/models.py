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
)
from sqlalchemy.types import TypeDecorator

# INTEGER PRIMARY KEY is SQLite's rowid alias; BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer, "sqlite")


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
    Column("name", String(200), nullable=False, unique=True),
    Column("account_id", String(100)),
    Column("email", String(320)),
    Column("plan", String(32)),
    Column("source_path", Text),
    Column("created_at", EpochMillis, nullable=False),
)

snapshots = Table(
    "snapshots", metadata,
    Column("id", BigId, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("collected_at", EpochMillis, nullable=False),
    Column("source", String(16), nullable=False),  # api | session-log | demo
    Column("plan", String(32)),
    Column("limit_reached", Boolean),
    Column("reached_type", String(64)),
    Column("credits_balance", String(64)),
    Column("raw", LargeBinary),  # the response body, tokens removed, see tracker.codec
    Index("ix_snapshots_account_time", "account_id", "collected_at"),
)

# One tracked window of one account: (limit, kind, length). 0 seconds = length unknown.
series = Table(
    "series", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("limit_name", String(100), nullable=False),
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
)

# How far a session log was read; head_sha1 (of its first bytes) detects a rewrite.
import_progress = Table(
    "import_progress", metadata,
    Column("path", Text, primary_key=True),
    Column("account", String(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("head_sha1", String(40), nullable=False),
)
