"""Parsing and showing times: durations, moments, zones. The clock is always an argument; the only
thing read from the system is the local zone, when no zone is given.

The status fast path imports this module: zoneinfo is imported when a zone is named, and no
dataclass is defined here (dataclasses imports inspect, milliseconds of a prompt's budget)."""

from __future__ import annotations

import math
import re
from collections import namedtuple
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from tracker.errors import TrackerError

# Patterns as text, compiled on first use (re caches them): a status line that names no duration
# or offset compiles none.
_DURATION = (r"(?i)^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|"
             r"d|days?|w|wk|weeks?)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_OFFSET = r"(?i)^(?:utc|gmt)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$"
MAX_DURATION = timedelta(days=36525)  # a century: anything longer is a typo, and would overflow dates
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2999, 12, 31, tzinfo=UTC)


def parse_duration(text: str) -> timedelta:
    """``90s``, ``5m``, ``12h``, ``7d``, ``2w``; a bare number is refused (7 what?)."""
    text = str(text).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        raise TrackerError(f"{text!r} has no unit: say {text}s, {text}m, {text}h or {text}d")
    match = re.match(_DURATION, text)
    if not match:
        raise TrackerError(f"not a duration: {text!r} (use e.g. 30s, 5m, 12h, 7d, 2w)")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)[0].lower()]
    if not math.isfinite(seconds) or seconds > MAX_DURATION.total_seconds():
        raise TrackerError(f"duration too long: {text!r} (at most {MAX_DURATION.days} days)")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest exact form: ``5m``, ``90s``, ``2h``, ``7d``."""
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class When(namedtuple("When", ("text", "ago", "moment"), defaults=(None, None))):
    """A moment as typed: an absolute time (naive = in the display zone) or a duration ago.

    Kept unresolved until the command knows its clock and zone, so that it can be parsed (and
    refused) before anything is opened. Immutable: ``text``, ``ago`` (a timedelta) or ``moment``.
    """

    __slots__ = ()

    def resolve(self, now: datetime, tz: tzinfo | None = None) -> datetime:
        if self.ago is not None:
            return now - self.ago
        if self.moment is None:
            return now
        value = self.moment
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz) if tz is not None else value.astimezone()
        return value.astimezone(UTC)


def parse_when_text(text: str) -> When:
    """``now``, a duration meaning that long ago, or an ISO date/time between 1970 and 2999."""
    text = str(text).strip()
    if text.lower() == "now":
        return When(text)
    if re.match(_DURATION, text):
        return When(text, ago=parse_duration(text))
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            raise TrackerError(f"{text!r} has no unit: say {text}h or {text}d (that long ago), "
                               "or give an ISO date like 2026-11-20") from None
        raise TrackerError(
            f"not a time: {text!r} (use an ISO date like 2026-11-20 or 2026-11-20T09:00, "
            "or a duration like 7d meaning 7 days ago)"
        ) from None
    check = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not EARLIEST - timedelta(days=1) <= check <= LATEST:
        raise TrackerError(f"time out of range: {text!r} (use a time between 1970 and 2999)")
    return When(text, moment=value)


def parse_when(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """An ISO date/time (in ``tz``, else the local zone, when it has none) or a duration ago."""
    return parse_when_text(text).resolve(now, tz)


UTC_NAMES = frozenset({"UTC", "Z", "GMT", "ZULU", "UCT", "UNIVERSAL", "ETC/UTC", "ETC/UCT", "ETC/GMT",
                       "ETC/UNIVERSAL", "ETC/ZULU"})  # names of UTC itself, in --tz and in TZ


def local_zone() -> tzinfo:
    """The machine's zone with its daylight-saving rules (``TZ``, else the zone /etc/localtime
    links to), so a usual week learned in summer still fits in winter; else today's fixed offset."""
    import os

    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        target = os.path.realpath("/etc/localtime")
        name = target.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in target else ""
    if name.upper() in UTC_NAMES:
        return UTC
    if name and not name.startswith(("/", ".")) and ".." not in name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    try:
        local = datetime.now().astimezone().tzinfo
    except ValueError:  # a POSIX rule of 24 hours or more (TZ=UTC+24): no offset Python can hold
        return UTC
    assert local is not None
    return local


def get_zone(name: str | None) -> tzinfo:
    """An IANA zone (any case), ``UTC``, a fixed offset (``+02:00``), or the local zone for None."""
    if not name or name.strip().lower() == "local":
        return local_zone()
    name = name.strip()
    if name.upper() in UTC_NAMES:
        return UTC
    offset = re.match(_OFFSET, name)
    if offset:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 23 or minutes > 59:
            raise TrackerError(f"offset out of range: {name!r} (use -23:59 to +23:59)")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if sign == "-" else delta)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass

    matches = [key for key in available_timezones() if key.lower() == name.lower()]
    if len(matches) == 1:
        return ZoneInfo(matches[0])
    raise TrackerError(f"unknown time zone {name!r} (use an IANA name like Europe/Paris, UTC or +02:00)")


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
    """Local wall time, the one date style of every output (the dashboard writes it the same way):
    ``13:40`` today, ``Fri 04 Dec 13:40`` this year, ``Mon 04 Jan 2027 13:40`` in another."""
    if value is None:
        return "—"
    local = value.astimezone(tz)
    if now is not None:
        today = now.astimezone(tz).date()
        if local.date() == today:
            return local.strftime("%H:%M")
        if local.year != today.year:
            return local.strftime("%a %d %b %Y %H:%M")
    return local.strftime("%a %d %b %H:%M")


def format_countdown(delta: timedelta) -> str:
    """``in 2h 13m``, ``in 3d 4h``, ``5m ago``; under a minute either way is ``just now``."""
    seconds = int(delta.total_seconds())
    suffix_past = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now"
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
