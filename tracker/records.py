"""The values every stage shares: a window as read, a usage answer, a snapshot or failure to
store, and the names of limits and window kinds.

The bottom layer: collect builds these, storage keeps them, insight and the views read them, so
they live below all of them and import nothing of the tracker but ``errors``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tracker.errors import StorageError

LOGIN_HINTS = {"expired": "run `codex login`", "auth_error": "fix the auth file or run `codex login`"}


def remaining_percent(used: float) -> float:
    """What is left of a window: the one place this is computed (clamped, rounded to 6 places)."""
    return round(min(100.0, max(0.0, 100.0 - used)), 6)


@dataclass(frozen=True)
class Window:
    limit: str
    kind: str
    window_seconds: int | None
    used_percent: float
    reset_at: datetime | None
    reported_percent: float | None = None  # the server's figure when it lay outside 0..100 (clamped into used_percent)

    @property
    def remaining_percent(self) -> float:
        return remaining_percent(self.used_percent)


@dataclass
class Usage:
    windows: list[Window] = field(default_factory=list)
    plan: str | None = None
    credits_balance: str | None = None
    limit_reached: bool | None = None
    reached_type: str | None = None
    reset_credits_available: int | None = None  # banked resets the person may redeem (never redeemed here)
    spend_control_reached: bool | None = None
    spend_reached_type: str | None = None  # which spending limit was reached: individual, group, ...
    workspace_id: str | None = None  # the workspace the answer is about, when it says
    workspace_label: str | None = None
    seat_type: str | None = None
    problem: str | None = None  # set when the payload could not be understood
    dropped_limits: int = 0  # limits past MAX_LIMITS in one answer, not kept (the raw body has them)

    @property
    def parsed(self) -> bool:
        return self.problem is None


class UnstorableValue(StorageError):
    """A value the database refused (too long, out of range, not encodable): this record only."""


@dataclass
class AccountInfo:
    name: str
    account_id: str | None = None
    email: str | None = None
    plan: str | None = None
    source_path: str | None = None


@dataclass(frozen=True)
class TokenCounts:
    """Token counts from a Codex session log: ``input`` includes ``cached_input`` and ``output``
    includes ``reasoning_output``, as Codex (and the Responses API) count them."""

    input: int = 0
    cached_input: int = 0
    output: int = 0
    reasoning_output: int = 0

    def minus(self, other: TokenCounts) -> TokenCounts:
        return TokenCounts(self.input - other.input, self.cached_input - other.cached_input,
                           self.output - other.output, self.reasoning_output - other.reasoning_output)

    def plus(self, other: TokenCounts) -> TokenCounts:
        return TokenCounts(self.input + other.input, self.cached_input + other.cached_input,
                           self.output + other.output, self.reasoning_output + other.reasoning_output)

    def covers(self, other: TokenCounts) -> bool:
        """Every count at least the other's: a cumulative total that did not go back."""
        return (self.input >= other.input and self.cached_input >= other.cached_input
                and self.output >= other.output and self.reasoning_output >= other.reasoning_output)


@dataclass
class SnapshotRecord:
    account: str
    collected_at: datetime
    source: str  # api | session-log | demo
    usage: Usage
    raw: bytes | None = None
    tokens: TokenCounts | None = None  # session logs: the tokens used since the file's previous token_count line
    token_totals: TokenCounts | None = None  # the session's cumulative counts on that line, as logged


@dataclass(frozen=True)
class ResetCredit:
    """One banked reset credit as the credits list gave it (text printable and bounded, times
    aware UTC or None). Read only: the tracker never redeems one."""

    id: str
    status: str | None = None  # available | redeemed | expired | ... (open set)
    reset_type: str | None = None
    title: str | None = None
    granted_at: datetime | None = None
    expires_at: datetime | None = None
    redeemed_at: datetime | None = None
    first_seen_at: datetime | None = None  # stored credits: when the tracker first saw it listed
    seen_at: datetime | None = None  # and last saw it listed


@dataclass
class CreditsReading:
    """The outcome of asking for an account's reset credits: ``ok`` (the list is known),
    ``unknown`` (asked, no usable answer: ``error`` says why), ``not_due`` (asked less than an hour
    ago) or ``not_asked`` (the usage request failed, or the endpoint has no credits list)."""

    outcome: str
    at: datetime | None = None
    available_count: int | None = None
    credits: tuple[ResetCredit, ...] = ()
    error: str | None = None
    raw: bytes | None = None  # the answer's body, tokens removed


@dataclass
class CreditsState:
    """An account's stored credits: the last request (``checked_at``, ``outcome``, ``error``) and the
    last list known (``listed_at``, ``available_count``, ``credits``, each with when it was seen)."""

    checked_at: datetime | None = None
    outcome: str | None = None  # ok | unknown
    error: str | None = None
    listed_at: datetime | None = None
    available_count: int | None = None
    credits: list[ResetCredit] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return self.outcome == "ok"


@dataclass
class FailureRecord:
    account: str
    at: datetime
    kind: str
    message: str
    http_status: int | None = None
    raw: bytes | None = None


def snapshot_key(at: datetime, windows: Iterable[tuple]) -> tuple:
    """(time in ms, sorted window tuples): equal for the same snapshot stored twice."""
    return (round(at.timestamp() * 1000), tuple(sorted(
        (limit, kind, seconds or 0, float(used), int(reset.timestamp()) if reset else None)
        for limit, kind, seconds, used, reset in windows
    )))
