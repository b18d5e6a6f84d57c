"""The schema as SQLAlchemy Core tables. Changes go through Alembic revisions in ``migrations/``.

Core rather than the ORM: the store speaks Core anyway, and not importing ``sqlalchemy.orm``
takes a fifth off every command's start-up. Times are stored as integers (UTC epoch milliseconds,
or seconds for reset times): compact, index-friendly, identical on SQLite and PostgreSQL. Window
values live in a narrow table clustered by (series, time), so a report reads a few index pages
per account, never the whole history.
"""

from __future__ import annotations

import math
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


class Textual(TypeDecorator):
    """Text; a stored value of another type (SQLite keeps a blob or a number a hand edit put in a
    text column) reads as text (a blob decoded, invalid UTF-8 replaced), so names and labels stay
    strings wherever they are sorted, escaped or written as JSON."""

    impl = String
    cache_ok = True

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, str):
            return value
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class LongText(Textual):
    """``Textual`` over Text (no size)."""

    impl = Text
    cache_ok = True


def Outside(size: int):  # reads as a type in the table definitions
    """Text that comes from outside (server, file names): unbounded on PostgreSQL (revision 0003).

    SQLite never enforces a VARCHAR size, so its tables keep the declared size as 0001 made them.
    """
    return Textual(size).with_variant(Text(), "postgresql")


# What a stored time may be read as: SQLite keeps whatever a hand edit or a damaged page put in a
# column (text, a blob, 2^63, a year past 9999), and one such value made every command that read it
# an internal error. Outside this range (the CLI's own) a stored time is damaged and reads as None.
_EPOCH_RANGE = (0.0, datetime(3000, 1, 1, tzinfo=UTC).timestamp())


def _finite_number(value) -> float | None:
    """A stored number as a float, or None when the column holds anything else (SQLite only:
    text or a blob edited in by hand, an infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def stored_time(value, scale: int) -> datetime | None:
    """A stored time (epoch seconds x ``scale``) as an aware UTC datetime; None when the column
    holds no time between 1970 and 2999."""
    number = _finite_number(value)
    if number is None or not _EPOCH_RANGE[0] <= number / scale < _EPOCH_RANGE[1]:
        return None
    return datetime.fromtimestamp(number / scale, tz=UTC)


class EpochMillis(TypeDecorator):
    """An aware UTC datetime stored as integer milliseconds since the epoch; a stored value that is
    not a time between 1970 and 2999 reads as None (see ``sound_points``)."""

    impl = BigInteger
    cache_ok = True
    scale = 1000

    def process_bind_param(self, value, dialect):
        if value is None or isinstance(value, int):
            return value
        return int(round(value.timestamp() * self.scale))

    def process_result_value(self, value, dialect):
        return stored_time(value, self.scale)


class EpochSeconds(EpochMillis):
    """An aware UTC datetime stored as integer seconds since the epoch (reset times)."""

    scale = 1
    cache_ok = True


class Percent(TypeDecorator):
    """A used share (float); a stored value that is not a finite number reads as None."""

    impl = Float
    cache_ok = True

    def process_result_value(self, value, dialect):
        if type(value) is float and math.isfinite(value):  # every sound row: the cheap test first
            return value
        return _finite_number(value)


class Seconds(TypeDecorator):
    """A window length in whole seconds; a stored value that is not one of at most ten years (the
    longest ``collect`` stores) reads as 0, the length unknown."""

    impl = Integer
    cache_ok = True

    def process_result_value(self, value, dialect):
        seconds = _finite_number(value)
        return int(seconds) if seconds is not None and 0 <= seconds <= MAX_STORED_SECONDS else 0


MAX_STORED_SECONDS = 10 * 366 * 86400


class Count(TypeDecorator):
    """A whole number (a count of tokens or credits, an HTTP status); a stored value that is not one
    reads as None, unknown (text where a count belongs made `limits` and Prometheus an internal error)."""

    impl = Integer
    cache_ok = True

    def process_result_value(self, value, dialect):
        if type(value) is int or value is None:
            return value
        number = _finite_number(value)
        return int(number) if number is not None and number.is_integer() else None


class BigCount(Count):
    """``Count`` over BigInteger."""

    impl = BigInteger
    cache_ok = True


metadata = MetaData()

accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Outside(200), nullable=False, unique=True),
    Column("account_id", Outside(100)),
    Column("email", Outside(320)),
    Column("plan", Outside(32)),
    Column("source_path", LongText),
    Column("created_at", EpochMillis, nullable=False),
)

snapshots = Table(
    "snapshots", metadata,
    Column("id", BigId, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("collected_at", EpochMillis, nullable=False),
    Column("source", Textual(16), nullable=False),  # api | session-log | demo
    Column("plan", Outside(32)),
    Column("limit_reached", Boolean),
    Column("reached_type", Outside(64)),
    Column("credits_balance", Outside(64)),
    Column("raw", LargeBinary),  # the response body, tokens removed, see tracker.storage.codec
    Column("reset_credits_available", Count),  # banked resets (revision 0005)
    Column("spend_control_reached", Boolean),
    # Workspace and seat, and which spending limit was reached (revision 0008)
    Column("spend_reached_type", Outside(64)),
    Column("workspace_id", Outside(200)),
    Column("workspace_label", Outside(200)),
    Column("seat_type", Outside(64)),
    # Session logs' token counts (revision 0006): the line's use, then the session's cumulative totals
    *(Column(f"{prefix}{name}_tokens", BigCount) for prefix in ("", "total_")
      for name in ("input", "cached_input", "output", "reasoning_output")),
    Index("ix_snapshots_account_time", "account_id", "collected_at"),
)

# One tracked window of one account: (limit, kind, length). 0 seconds = length unknown.
series = Table(
    "series", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("limit_name", Outside(100), nullable=False),
    Column("kind", Textual(16), nullable=False),
    Column("window_seconds", Seconds, nullable=False),
    UniqueConstraint("account_id", "limit_name", "kind", "window_seconds"),
)

FULL = text("used_percent >= 100")
# the readings at 100 % only (revision 0011): blocked time reads them for every account without
# scanning the week's other readings (covering, so no lookup in the table either). PostgreSQL's
# side of the predicate is given by ``declare_postgresql``, not here: a ``postgresql_where`` in the
# constructor imports SQLAlchemy's whole PostgreSQL dialect package (asyncpg's, pg8000's,
# psycopg's ...) to check the argument, 20 ms of every command's start on SQLite (~7 % of `status`).
windows_full_index = Index("ix_windows_full", "series_id", "collected_at", "used_percent", "reset_at",
                           sqlite_where=FULL)

windows = Table(
    "windows", metadata,
    Column("series_id", Integer, ForeignKey("series.id"), primary_key=True),
    Column("collected_at", EpochMillis, primary_key=True),
    Column("snapshot_id", BigInteger, ForeignKey("snapshots.id"), primary_key=True),
    Column("used_percent", Percent, nullable=False),
    Column("reset_at", EpochSeconds),
    windows_full_index,
    sqlite_with_rowid=False,
)


def declare_postgresql() -> None:
    """The schema's PostgreSQL-only options, given once a PostgreSQL engine is made (its dialect is
    loaded by then): the partial index's predicate, as revision 0011 created it there. Idempotent."""
    windows_full_index.dialect_kwargs["postgresql_where"] = FULL

failures = Table(
    "failures", metadata,
    Column("id", BigId, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("at", EpochMillis, nullable=False),
    Column("kind", Textual(32), nullable=False),
    Column("http_status", Integer),
    Column("message", LongText, nullable=False),
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
