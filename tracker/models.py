"""SQLAlchemy 2.0 models. Schema changes go through Alembic revisions in ``migrations/``.

Times are stored as integers (UTC epoch milliseconds or seconds): compact, index-friendly,
identical on SQLite and PostgreSQL. Window values live in a narrow clustered table keyed by
(series, time), so a report reads a few index pages per account, never the whole history.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
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


class Base(DeclarativeBase):
    pass


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    plan: Mapped[str | None] = mapped_column(String(32))
    source_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(EpochMillis)


class SnapshotRow(Base):
    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_account_time", "account_id", "collected_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    collected_at: Mapped[datetime] = mapped_column(EpochMillis)
    source: Mapped[str] = mapped_column(String(16))
    plan: Mapped[str | None] = mapped_column(String(32))
    limit_reached: Mapped[bool | None] = mapped_column(Boolean)
    reached_type: Mapped[str | None] = mapped_column(String(64))
    credits_balance: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)


class SeriesRow(Base):
    """One tracked window of one account: (limit, kind, length). 0 seconds = length unknown."""

    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("account_id", "limit_name", "kind", "window_seconds"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    limit_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    window_seconds: Mapped[int] = mapped_column(Integer)


class WindowRow(Base):
    __tablename__ = "windows"
    __table_args__ = ({"sqlite_with_rowid": False},)

    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), primary_key=True)
    collected_at: Mapped[datetime] = mapped_column(EpochMillis, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("snapshots.id"), primary_key=True)
    used_percent: Mapped[float] = mapped_column(Float)
    reset_at: Mapped[datetime | None] = mapped_column(EpochSeconds)


class FailureRow(Base):
    __tablename__ = "failures"
    __table_args__ = (Index("ix_failures_account_time", "account_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    at: Mapped[datetime] = mapped_column(EpochMillis)
    kind: Mapped[str] = mapped_column(String(32))
    http_status: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)


class ImportProgressRow(Base):
    """How far a session log was read; ``head_sha1`` (of its first bytes) detects a rewrite."""

    __tablename__ = "import_progress"

    path: Mapped[str] = mapped_column(Text, primary_key=True)
    account: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger)
    head_sha1: Mapped[str] = mapped_column(String(40))
