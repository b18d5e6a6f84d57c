"""Any usage payload (API response or session-log ``rate_limits``) -> one ``Usage`` model.

Pure and total: ``normalize_payload`` never raises, whatever JSON it is given. A payload it
cannot understand comes back with ``problem`` set, so the caller stores it raw and reports it as
unparsed instead of guessing.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from tracker.kinds import (
    FIVE_HOUR,
    FIVE_HOUR_SECONDS,
    MAIN_LIMIT,
    MONTHLY,
    MONTHLY_SECONDS,
    OTHER,
    WEEKLY,
    WEEKLY_SECONDS,
)
from tracker.records import Usage, Window
from tracker.render import printable

FIVE_HOUR_KEYS = ("five_hour", "five_hour_limit", "five_hour_rate_limit", "primary", "primary_window")
WEEKLY_KEYS = ("weekly", "weekly_limit", "weekly_rate_limit", "secondary", "secondary_window")
RESET_ABSOLUTE_KEYS = ("reset_at", "resets_at", "reset_time_ms")
RESET_RELATIVE_KEYS = ("reset_after_seconds", "resets_in_seconds")
_RESET_KEYS = RESET_ABSOLUTE_KEYS + RESET_RELATIVE_KEYS
KNOWN_TOP_LEVEL = ("rate_limit", "rate_limits", "plan_type", "additional_rate_limits", "credits",
                   "rate_limit_reset_credits", "spend_control")
# Codex around 0.40 wrote the windows flat: primary_used_percent, primary_window_minutes, ...
FLAT_PREFIXES = (("primary", "five_hour"), ("secondary", "weekly"))

# Plausible epoch range for reset times: anything outside is a broken value, not a date.
_MIN_EPOCH = datetime(2001, 1, 1, tzinfo=UTC).timestamp()
_MAX_EPOCH = datetime(2200, 1, 1, tzinfo=UTC).timestamp()
# Longest plausible window (and what every database's INTEGER holds): beyond, the length is unknown.
MAX_WINDOW_SECONDS = 10 * 366 * 86400


class Unreadable(Exception):
    """A field is present but holds a value we cannot trust."""




def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or value is None:
        raise Unreadable(f"{name} is {value!r}, not a number")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise Unreadable(f"{name} is {value!r}, not a number") from None
    if not isinstance(value, int | float):
        raise Unreadable(f"{name} is a {type(value).__name__}, not a number")
    value = float(value)
    if not math.isfinite(value):
        raise Unreadable(f"{name} is {value}, not a finite number")
    return value


PLAUSIBLE_PERCENT = (-100.0, 1000.0)  # clamped to 0..100 (api-notes); 1e308 or -1e9 is noise, not a reading


def _plausible_percent(value: float) -> float:
    """A value no server could mean (1e308, -500) is not understood, not an alert."""
    if not PLAUSIBLE_PERCENT[0] <= value <= PLAUSIBLE_PERCENT[1]:
        raise Unreadable(f"a percentage of {value:g} is not plausible")
    return value


def _epoch_to_datetime(value: float) -> datetime | None:
    if value > 1e11:  # milliseconds
        value /= 1000.0
    if not _MIN_EPOCH <= value <= _MAX_EPOCH:
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def _reset_time(entry: dict[str, Any], reference: datetime) -> datetime | None:
    for key in RESET_ABSOLUTE_KEYS:
        if entry.get(key) is not None:
            try:
                return _epoch_to_datetime(_number(entry[key], key))
            except Unreadable:
                continue
    for key in RESET_RELATIVE_KEYS:
        if entry.get(key) is not None:
            try:
                seconds = _number(entry[key], key)
            except Unreadable:
                continue
            if 0 <= seconds < 10 * 366 * 86400:
                try:
                    return reference + timedelta(seconds=seconds)
                except OverflowError:  # a reference near year 9999
                    return None
    return None


def _window_seconds(entry: dict[str, Any]) -> int | None:
    for key, factor in (("limit_window_seconds", 1), ("window_seconds", 1), ("window_minutes", 60)):
        if entry.get(key) is not None:
            try:
                seconds = _number(entry[key], key) * factor
            except Unreadable:
                continue
            if 0 < seconds <= MAX_WINDOW_SECONDS:
                return int(round(seconds))
    return None


def _reported_percent(entry: dict[str, Any]) -> float:
    """The used share as the server put it (``used_percent``, or 100 minus what is left)."""
    if entry.get("used_percent") is not None:
        return _plausible_percent(_number(entry["used_percent"], "used_percent"))
    for key in ("percent_left", "remaining_percent"):
        if entry.get(key) is not None:
            return _plausible_percent(100.0 - _number(entry[key], key))
    raise Unreadable("window has no used_percent, percent_left or remaining_percent")


def _used_percent(entry: dict[str, Any]) -> float:
    """Into 0-100: 250 % used is a window used up, -20 % one unused (``Window.reported_percent``
    keeps what was said, and collect says it; the raw answer is stored as it came)."""
    return min(100.0, max(0.0, _reported_percent(entry)))


def kind_for_length(seconds: int | None, default: str) -> str:
    """Label a window by its length; the key it came under decides only when length is unknown."""
    if seconds is None:
        return default
    if FIVE_HOUR_SECONDS[0] <= seconds <= FIVE_HOUR_SECONDS[1]:
        return FIVE_HOUR
    if WEEKLY_SECONDS[0] <= seconds < WEEKLY_SECONDS[1]:
        return WEEKLY
    if MONTHLY_SECONDS[0] <= seconds <= MONTHLY_SECONDS[1]:
        return MONTHLY
    return OTHER


def _unwrap(entry: dict[str, Any]) -> dict[str, Any]:
    inner = entry.get("primary_window")
    if isinstance(inner, dict) and not any(entry.get(k) is not None for k in _RESET_KEYS):
        return inner
    return entry


def _windows_of(container: dict[str, Any], limit: str, reference: datetime) -> list[Window]:
    found: list[tuple[str, dict[str, Any]]] = []
    for default_kind, keys in ((FIVE_HOUR, FIVE_HOUR_KEYS), (WEEKLY, WEEKLY_KEYS)):
        for key in keys:
            entry = container.get(key)
            if entry is None:
                continue
            if not isinstance(entry, dict):
                raise Unreadable(f"{limit}.{key} is a {type(entry).__name__}, not an object")
            found.append((default_kind, _unwrap(entry)))
            break
    if not found:
        found = _flat_entries(container)
    windows = []
    for default_kind, entry in found:
        seconds = _window_seconds(entry)
        reported = _reported_percent(entry)
        used = min(100.0, max(0.0, reported))
        windows.append(
            Window(
                limit=limit,
                kind=kind_for_length(seconds, default_kind),
                window_seconds=seconds,
                used_percent=used,
                reset_at=_reset_time(entry, reference),
                reported_percent=None if used == reported else reported,
            )
        )
    if len(windows) == 2 and windows[0].kind == windows[1].kind and windows[0].kind in (FIVE_HOUR, WEEKLY):
        short, long_ = sorted(windows, key=lambda w: w.window_seconds or 0)
        windows = [_relabel(short, FIVE_HOUR), _relabel(long_, WEEKLY)]
    return windows


def _flat_entries(container: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The older flat form as window entries (no reset time: resets are inferred from drops)."""
    found = []
    for prefix, default_kind in FLAT_PREFIXES:
        if container.get(f"{prefix}_used_percent") is not None:
            found.append((default_kind, {"used_percent": container[f"{prefix}_used_percent"],
                                         "window_minutes": container.get(f"{prefix}_window_minutes")}))
    return found


def is_flat(limits: dict[str, Any]) -> bool:
    """Whether session-log ``rate_limits`` are in the older flat form (Codex around 0.40)."""
    return any(limits.get(f"{prefix}_used_percent") is not None for prefix, _ in FLAT_PREFIXES)


def limit_family(limit_id: str | None, limit_name: str | None = None, feature: str | None = None,
                 *, may_be_main: bool = True) -> str:
    """The one rule naming a limit family, for collect and import alike: ``limit_id`` decides, and
    ``codex`` or no id is the main quota (where the main quota may be: not in
    ``additional_rate_limits``). Any other family keeps its own name (``limit_name``, else the
    metered feature, else its id); a name of ``codex`` never promotes it into the main quota."""
    if may_be_main and (limit_id is None or limit_id == MAIN_LIMIT):
        return MAIN_LIMIT
    for name in (limit_name, feature, limit_id):
        if name and name != MAIN_LIMIT:
            return name
    return f"{MAIN_LIMIT} (additional)"


def _limit_name(container: dict[str, Any]) -> str:
    """A session log's (or an answer's) limit family: ``limit_family`` of its id and name."""
    return limit_family(_text(container.get("limit_id")), _text(container.get("limit_name")))


def _relabel(window: Window, kind: str) -> Window:
    return Window(window.limit, kind, window.window_seconds, window.used_percent, window.reset_at,
                  window.reported_percent)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return printable(str(value)) or None


def _rate_limit_container(payload: dict[str, Any]) -> Any:
    for key in ("rate_limit", "rate_limits"):
        if key in payload:
            return payload[key]
    return None


def normalize_payload(payload: Any, reference: datetime) -> Usage:
    """Normalise one response body (already decoded JSON).

    ``reference`` is the moment relative resets count from: the response's ``Date`` header,
    the receive time, or a session-log line's timestamp.
    """
    try:
        return parse_payload(payload, reference)
    except Unreadable as exc:
        return Usage(problem=str(exc))
    except Exception as exc:  # total by contract: report, never raise
        return Usage(problem=f"unexpected shape ({type(exc).__name__})")


MAX_LIMITS = 24  # limits (families) kept from one answer: one lists the main quota and a few others


def _keep_few_limits(usage: Usage) -> None:
    """The main quota and the first others up to MAX_LIMITS: an answer listing 20,000 additional
    limits made each collect take 19 s, `report` 46 s and `status` 82 s (a series per limit)."""
    names = list(dict.fromkeys(w.limit for w in usage.windows))
    if len(names) <= MAX_LIMITS:
        return
    kept = set([MAIN_LIMIT] + [n for n in names if n != MAIN_LIMIT][: MAX_LIMITS - 1])
    usage.dropped_limits = len(names) - len(kept & set(names))
    usage.windows = [w for w in usage.windows if w.limit in kept]


def parse_payload(payload: Any, reference: datetime) -> Usage:
    """``normalize_payload`` without the safety net: raises ``Unreadable`` for a payload it does
    not understand, and any other exception is a bug (the property test calls this one, so an
    internal crash fails it instead of hiding as "unexpected shape")."""
    if not isinstance(payload, dict):
        raise Unreadable(f"the body is a JSON {type(payload).__name__}, not an object")
    if not any(key in payload for key in KNOWN_TOP_LEVEL):
        keys = ", ".join(sorted(str(k) for k in payload)[:6]) or "none"
        raise Unreadable(f"no rate-limit fields in the response (keys: {keys})")
    usage = Usage(plan=_text(payload.get("plan_type")))
    container = _rate_limit_container(payload)
    main_limit = MAIN_LIMIT
    if container is not None:
        if not isinstance(container, dict):
            raise Unreadable(f"rate_limit is a {type(container).__name__}, not an object")
        main_limit = _limit_name(container)
        usage.windows.extend(_windows_of(container, main_limit, reference))
        if isinstance(container.get("limit_reached"), bool):
            usage.limit_reached = container["limit_reached"]
        usage.plan = usage.plan or _text(container.get("plan_type"))
    extra = payload.get("additional_rate_limits")
    if isinstance(extra, list):
        for item in extra:
            if not isinstance(item, dict):
                continue
            limit_id, limit_name = _text(item.get("limit_id")), _text(item.get("limit_name"))
            feature = _text(item.get("metered_feature"))
            if not (limit_id or limit_name or feature):
                continue
            name = limit_family(limit_id, limit_name, feature, may_be_main=False)  # never the account's own quota
            inner = item.get("rate_limit")
            if isinstance(inner, dict):
                usage.windows.extend(_windows_of(inner, name, reference))
    reached = payload.get("rate_limit_reached_type")
    if isinstance(reached, dict):
        usage.reached_type = _text(reached.get("type"))
    elif isinstance(reached, str):
        usage.reached_type = _text(reached)
    credits = payload.get("credits")
    if container is not None and credits is None and isinstance(container, dict):
        credits = container.get("credits")
    if isinstance(credits, dict):
        usage.credits_balance = _text(credits.get("balance"))
    from tracker.collect.extras import add_extras  # here: it builds on this module's readers

    add_extras(usage, payload, container, reference)
    _keep_few_limits(usage)
    return usage
