"""What an answer carries besides its rate-limit windows: reset credits, spending limits (the
individual one and its group, workspace and role variants, each kept as a limit), which limit was
reached, the workspace and the seat. Called by ``normalize.parse_payload``; total like it (a field
it cannot read is left unknown, never an error)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from tracker.collect.normalize import (
    RESET_ABSOLUTE_KEYS,
    RESET_RELATIVE_KEYS,
    Unreadable,
    _reset_time,
    _text,
    _used_percent,
    _window_seconds,
    kind_for_length,
)
from tracker.kinds import OTHER, SPEND_INDIVIDUAL, SPEND_LIMITS
from tracker.records import Usage, Window


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value) if 0 <= value < 2**31 else None


def _spend_entry(name: str, entry: dict[str, Any], reference: datetime) -> Window | None:
    try:
        used = _used_percent(entry)
    except Unreadable:
        return None
    reset = {k: v for k, v in entry.items() if k in RESET_ABSOLUTE_KEYS + RESET_RELATIVE_KEYS and v}
    seconds = _window_seconds(entry)
    return Window(name, kind_for_length(seconds, OTHER), seconds, used, _reset_time(reset, reference))


def _spend_windows(payload: dict[str, Any], container: Any, reference: datetime) -> list[Window]:
    """``spend_control``'s limits, each its own limit: ``individual_limit`` (also found at the root
    or under ``rate_limit``) as ``spend_individual``, and the group, workspace and role variants of
    the same shape (``group_limit`` -> ``spend_group``, any other ``*_limit`` -> ``spend_*``).

    Their reset fields are 0 when there is none; their length is not given (kind ``other``).
    """
    spend = payload.get("spend_control")
    spend = spend if isinstance(spend, dict) else {}
    places = [spend, payload, container if isinstance(container, dict) else {}]
    entries: dict[str, dict[str, Any]] = {}
    individual = next((p["individual_limit"] for p in places if isinstance(p.get("individual_limit"), dict)), None)
    if individual is not None:
        entries[SPEND_INDIVIDUAL] = individual
    for key, entry in spend.items():
        if key == "individual_limit" or not isinstance(key, str) or not key.endswith("_limit") \
                or not isinstance(entry, dict):
            continue
        name = SPEND_LIMITS.get(key) or _text(f"spend_{key[:-len('_limit')]}")
        if name and name not in entries:
            entries[name] = entry
    return [w for name, entry in entries.items() if (w := _spend_entry(name, entry, reference)) is not None]


WORKSPACE_ID_KEYS = ("workspace_id", "workspaceId")
WORKSPACE_LABEL_KEYS = ("workspace_label", "workspace_name", "workspaceLabel", "workspaceName", "workspace_title")
SEAT_TYPE_KEYS = ("seat_type", "seatType")


def _first_text(places: list[dict[str, Any]], keys: tuple[str, ...]) -> str | None:
    for place in places:
        for key in keys:
            value = place.get(key)  # mostly absent: no call for it (a tenth of a session line's reading)
            if value is not None and (text := _text(value)) is not None:
                return text[:200]
    return None


def _workspace(usage: Usage, payload: dict[str, Any], container: Any) -> None:
    """``workspace_id``, the workspace's label and ``seat_type``, wherever the answer (or the
    session-log line) carries them: at the root, under ``rate_limit`` or in a ``workspace`` object."""
    places = [payload, container if isinstance(container, dict) else {}]
    nested = [p["workspace"] for p in places if isinstance(p.get("workspace"), dict)]
    usage.workspace_id = _first_text(places, WORKSPACE_ID_KEYS) or _first_text(nested, ("id",))
    usage.workspace_label = _first_text(places, WORKSPACE_LABEL_KEYS) or _first_text(
        nested, ("label", "name", "title"))
    usage.seat_type = _first_text(places + nested, SEAT_TYPE_KEYS)


def add_extras(usage: Usage, payload: dict[str, Any], container: Any, reference: datetime) -> None:
    """Reset credits and spend control, from a response or a session-log line."""
    places = [payload, container if isinstance(container, dict) else {}]
    credits = next((p["rate_limit_reset_credits"] for p in places
                    if isinstance(p.get("rate_limit_reset_credits"), dict)), {})
    usage.reset_credits_available = _count(credits.get("available_count"))
    spend = payload.get("spend_control")
    reached = spend.get("reached") if isinstance(spend, dict) else places[1].get("spend_control_reached")
    usage.spend_control_reached = reached if isinstance(reached, bool) else None
    line_reached = places[1].get("rate_limit_reached_type")  # a session-log line carries it inside
    if usage.reached_type is None and isinstance(line_reached, dict | str):
        usage.reached_type = _text(line_reached.get("type") if isinstance(line_reached, dict) else line_reached)
    kind = _text(spend.get("reached_limit_type")) if isinstance(spend, dict) else None
    usage.spend_reached_type = kind[:64] if kind else None
    usage.windows.extend(_spend_windows(payload, container, reference))
    _workspace(usage, payload, container)
