"""Parsing and showing times. Pure: every function takes the clock as an argument."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.errors import TrackerError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d|day|days|w|wk|weeks?)\s*$", re.I)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``5m``, ``12h``, ``7d``, ``2w`` (a bare number is seconds)."""
    text = str(text).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    match = _DURATION.match(text)
    if not match:
        raise TrackerError(f"not a duration: {text!r} (use e.g. 30s, 5m, 12h, 7d, 2w)")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)[0].lower()])


def parse_when(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """An ISO date/time (local zone when it has none) or a duration meaning that long ago."""
    text = str(text).strip()
    if text.lower() == "now":
        return now
    try:
        return now - parse_duration(text)
    except TrackerError:
        pass
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TrackerError(
            f"not a time: {text!r} (use an ISO date like 2026-11-20 or 2026-11-20T09:00, "
            "or a duration like 7d meaning 7 days ago)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz) if tz is not None else value.astimezone()
    return value.astimezone(UTC)


def get_zone(name: str | None) -> tzinfo:
    """The named zone, or the machine's local zone when no name is given."""
    if not name:
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TrackerError(f"unknown time zone {name!r} (use an IANA name like Europe/Paris)") from None


def zone_name(zone: tzinfo) -> str:
    """An IANA key when there is one (Europe/Paris), else the abbreviation (CET, UTC)."""
    key = getattr(zone, "key", None)
    return key or datetime.now(zone).tzname() or "local time"


def iso_utc(value: datetime | None) -> str | None:
    """``2026-11-20T10:00:00Z``: the one form times take in JSON output."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def format_local(value: datetime | None, tz: tzinfo, now: datetime | None = None) -> str:
    """Local wall time; the date is left out when it is today."""
    if value is None:
        return "—"
    local = value.astimezone(tz)
    if now is not None and local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M")
    return local.strftime("%a %d %b %H:%M")


def format_countdown(delta: timedelta) -> str:
    """``in 2h 13m``, ``in 3d 4h``, ``5m ago``."""
    seconds = int(delta.total_seconds())
    suffix_past = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days}d {hours}h"
    elif hours:
        text = f"{hours}h {minutes:02d}m"
    else:
        text = f"{minutes}m"
    return f"{text} ago" if suffix_past else f"in {text}"
