"""Codex session logs for the import tests: token_count lines in every shape, and a Codex home."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = datetime(2025, 11, 16, 2, 0, tzinfo=UTC)


def ts(minutes):
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def token_line(minutes, five=None, weekly=None, relative=False, limit_id="codex"):
    def window(used, minutes_len, reset_in):
        entry = {"used_percent": used, "window_minutes": minutes_len}
        if relative:
            entry["resets_in_seconds"] = reset_in
        else:
            entry["resets_at"] = int((T0 + timedelta(minutes=minutes)).timestamp()) + reset_in
        return entry

    limits = {"limit_id": limit_id, "credits": None, "plan_type": "plus"}
    if five is not None:
        limits["primary"] = window(five, 300, 3600)
    if weekly is not None:
        limits["secondary"] = window(weekly, 10080, 86400)
    return json.dumps({"timestamp": ts(minutes), "type": "event_msg", "payload": {
        "type": "token_count", "info": {"total_token_usage": {"total_tokens": 100 * minutes}}, "rate_limits": limits}})


def other_lines(minutes):
    return [
        json.dumps({"timestamp": ts(minutes), "type": "session_meta", "payload": {"id": "x", "cwd": "/tmp"}}),
        json.dumps({"timestamp": ts(minutes), "type": "response_item", "payload": {"type": "message", "content": "hi " * 20}}),
        json.dumps({"timestamp": ts(minutes), "type": "event_msg", "payload": {"type": "agent_message", "message": "ok"}}),
    ]


def write(path, lines, newline_at_end=True):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + ("\n" if newline_at_end else ""))


def make_codex_home(tmp_path: Path) -> Path:
    """Both layouts, both reset formats, garbage lines, an archived log with a torn last line."""
    home = tmp_path / ".codex"
    # nested layout, absolute resets, both windows
    write(home / "sessions/2025/11/16/rollout-2025-11-16T02-00-00-a.jsonl",
          other_lines(0) + [token_line(1, 2.0, 25.0), token_line(2, 4.0, 26.0)] + other_lines(3))
    # flat older layout, relative resets, one window missing, garbage lines
    write(home / "sessions/rollout-old.jsonl", [
        token_line(10, 6.0, None, relative=True),
        "this is not json {",
        json.dumps({"timestamp": ts(11), "type": "event_msg", "payload": {"type": "token_count", "info": None, "rate_limits": None}}),
        json.dumps({"timestamp": ts(12), "type": "mystery", "payload": {}}),
        json.dumps({"timestamp": ts(13), "type": "event_msg", "payload": {"type": "token_count", "rate_limits": {"primary": "broken"}}}),
        token_line(14, None, 27.0, relative=True),
    ])
    # archived, with a truncated last line (still being written)
    write(home / "archived_sessions/rollout-2025-11-15.jsonl",
          [token_line(-60, 1.0, 24.0), token_line(-30, 1.5, 24.5)[:40]], newline_at_end=False)
    return home
