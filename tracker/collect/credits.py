"""The reset-credits list: where to ask (``credits_url``), whether to ask now (once an hour per
account, ``CreditsGate``), the answer parsed (``parse_credits``, pure and total) and one read-only
GET (``fetch_credits``). Never a POST: redeeming a credit is the person's decision, made in Codex.

Nothing here can fail a collection: every trouble (404, 5xx, timeout, HTML, garbage) comes back
as a ``CreditsReading`` with outcome ``unknown`` and the reason.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tracker.collect.extras import _count
from tracker.collect.normalize import _epoch_to_datetime
from tracker.records import CreditsReading, ResetCredit
from tracker.render import printable

CREDITS_EVERY = timedelta(hours=1)  # at most one request per account per hour
CREDITS_TIMEOUT = 10.0  # seconds, at most: a slow credits list must not hold the collection
MAX_CREDITS = 200  # a longer list is cut: nobody banks hundreds of resets
TEXT_LIMITS = {"id": 200, "status": 32, "reset_type": 64, "title": 200}
_FIELDS = {  # snake_case as other clients send it, and the camelCase some send
    "id": ("id", "credit_id", "creditId"), "status": ("status",), "reset_type": ("reset_type", "resetType"),
    "title": ("title",), "granted_at": ("granted_at", "grantedAt"), "expires_at": ("expires_at", "expiresAt"),
    "redeemed_at": ("redeemed_at", "redeemedAt"),
}


def credits_url(usage_url: str) -> str | None:
    """The credits list beside a ``…/wham/usage`` URL; None for any other endpoint (the Codex API
    path ``/api/codex/usage`` has no known credits list: not guessed, not asked)."""
    parts = urlsplit(usage_url)
    if parts.path.endswith("/wham/usage") and not parts.query:
        return usage_url[: -len("usage")] + "rate-limit-reset-credits"
    return None


def credits_due(last: datetime | None, now: datetime) -> bool:
    """Whether to ask again: never asked, an hour or more since, or a last time in the future
    (the clock went back: ask rather than stay silent for as long)."""
    return last is None or not (last <= now < last + CREDITS_EVERY)


class CreditsGate:
    """The store's last credits-request time per account, handed from the main thread (which opens
    the store while the usage requests are in flight) to the workers, which wait for it."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._last: dict[str, datetime] | None = None

    def open(self, last: dict[str, datetime]) -> None:
        self._last = dict(last)
        self._ready.set()

    def close(self) -> None:
        """No store: no credits request (nothing could record it, so the hourly limit would not hold)."""
        self._ready.set()

    def due(self, account: str, now: datetime, timeout: float = 60.0) -> bool:
        if not self._ready.wait(timeout) or self._last is None:
            return False
        return credits_due(self._last.get(account), now)


class Unusable(Exception):
    """The credits answer is not a credits list."""


def _text(value: Any, limit: int) -> str | None:
    if value is None or isinstance(value, dict | list | bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    text = printable(str(value)).strip()
    return text[:limit] or None


def _time(value: Any) -> datetime | None:
    """ISO-8601 text or epoch seconds/milliseconds in 2001..2200; anything else is unknown."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _epoch_to_datetime(float(value)) if math.isfinite(value) else None
    if not isinstance(value, str) or len(value) > 40:
        return None
    text = value.strip()
    try:
        return _epoch_to_datetime(float(text)) if text.replace(".", "", 1).isdigit() else _iso(text)
    except (ValueError, OverflowError):
        return None


def _iso(text: str) -> datetime | None:
    parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return _epoch_to_datetime(parsed.timestamp())


def _field(item: dict, name: str) -> Any:
    return next((item[key] for key in _FIELDS[name] if item.get(key) is not None), None)


def _credit(item: Any) -> ResetCredit | None:
    if not isinstance(item, dict):
        return None
    credit_id = _text(_field(item, "id"), TEXT_LIMITS["id"])
    if credit_id is None:  # nothing to keep it by
        return None
    status = _text(_field(item, "status"), TEXT_LIMITS["status"])
    return ResetCredit(
        id=credit_id, status=status.lower() if status else None,
        reset_type=_text(_field(item, "reset_type"), TEXT_LIMITS["reset_type"]),
        title=_text(_field(item, "title"), TEXT_LIMITS["title"]),
        granted_at=_time(_field(item, "granted_at")), expires_at=_time(_field(item, "expires_at")),
        redeemed_at=_time(_field(item, "redeemed_at")),
    )


def parse_credits(payload: Any) -> tuple[int | None, tuple[ResetCredit, ...]]:
    """``{"available_count", "credits": [...]}`` (or ``availableCount``), or a bare list, into the
    count and the credits (unique ids, at most MAX_CREDITS). Raises ``Unusable`` for anything else."""
    if isinstance(payload, list):
        count, items = None, payload
    elif isinstance(payload, dict):
        items = next((payload[k] for k in ("credits", "reset_credits", "resetCredits", "items")
                      if isinstance(payload.get(k), list)), None)
        count = _count(payload.get("available_count", payload.get("availableCount")))
        if items is None and count is None:
            keys = ", ".join(sorted(printable(str(k))[:40] for k in payload)[:6]) or "none"
            raise Unusable(f"not a credits list (keys: {keys})")
        items = items or []
    else:
        raise Unusable(f"the body is a JSON {type(payload).__name__}, not a credits list")
    credits: dict[str, ResetCredit] = {}
    for item in items[: MAX_CREDITS * 2]:
        credit = _credit(item)
        if credit is not None and credit.id not in credits and len(credits) < MAX_CREDITS:
            credits[credit.id] = credit
    if count is None and isinstance(payload, list):
        count = sum(1 for c in credits.values() if c.status == "available")
    return count, tuple(credits.values())


def fetch_credits(account, url: str, *, timeout: float, clock: Callable[[], datetime],
                  sleep: Callable[[float], None]) -> CreditsReading:
    """One GET of the credits list (no retry: the next hour asks again); never raises."""
    from tracker.collect.client import fetch_usage

    try:
        fetched = fetch_usage(account, url, timeout=min(timeout, CREDITS_TIMEOUT), retries=0, clock=clock,
                              sleep=sleep)
    except Exception as exc:  # a credits list is never worth a failed collection
        return CreditsReading("unknown", clock(), error=f"credits list not read ({type(exc).__name__})")
    reading = CreditsReading("unknown", fetched.received_at, raw=fetched.body)
    if fetched.status != "ok":
        reading.error = fetched.error or fetched.status
        return reading
    try:
        reading.available_count, reading.credits = parse_credits(fetched.payload)
    except Unusable as exc:
        reading.error = f"credits list not understood: {exc}"
        return reading
    except Exception as exc:  # total by contract
        reading.error = f"credits list not understood ({type(exc).__name__})"
        return reading
    scrubbed = (_scrubbed(c, account.secrets) for c in reading.credits)
    reading.credits = tuple({c.id: c for c in reversed(tuple(scrubbed))}.values())[::-1]  # ids unique
    reading.outcome = "ok"
    return reading


def _scrubbed(credit: ResetCredit, secrets: tuple[str, ...]) -> ResetCredit:
    """Server text kept from the list (id, title, ...) holds no token in any form."""
    from dataclasses import replace

    from tracker.collect.redact import withhold

    return replace(credit, id=withhold(credit.id, secrets), status=withhold(credit.status, secrets),
                   reset_type=withhold(credit.reset_type, secrets), title=withhold(credit.title, secrets))
