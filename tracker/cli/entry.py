"""The console script: ``tracker status`` answered from the state file beside a SQLite database
(``tracker.views.statefile``) without importing click or SQLAlchemy; everything else, and any
status the file cannot answer exactly, goes to the click commands (``tracker.cli.root``).

The fast path has a budget (at most what ``import click`` costs, ``bench/startup.py``): it imports
no dataclasses, typing, pathlib, zoneinfo (unless a zone is named), platformdirs (on Linux) nor
tomllib (unless the config file exists). ``python -X importtime`` shows what it loads.
"""

from __future__ import annotations

import os
import sys

_VALUED = {"--account", "--kind", "--format", "--db", "--tz", "--stale-after", "--at"}
_FORMATS = ("text", "json", "waybar", "tmux", "i3blocks")


def _options(args: list[str]) -> dict[str, list[str]] | None:
    """``--opt value`` and ``--opt=value`` of the simple status options; None for anything else."""
    found: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name not in _VALUED:
            return None
        if not eq:
            if i + 1 >= len(args):
                return None
            i, value = i + 1, args[i + 1]
        found.setdefault(name, []).append(value)
        i += 1
    return found


def fast_status(args: list[str]) -> str | None:
    """The status output, or None when the state file cannot give exactly what the full path would."""
    opts = _options(args)
    if opts is None or any(len(v) > 1 for k, v in opts.items() if k != "--account"):
        return None
    one = {k: v[-1] for k, v in opts.items()}
    fmt, kind = one.get("--format", "text"), one.get("--kind", "all")
    from tracker.kinds import KINDS

    if fmt not in _FORMATS or (kind != "all" and kind not in KINDS):
        return None
    from datetime import UTC, datetime, timedelta

    from tracker.config import db_url, sqlite_file
    from tracker.errors import TrackerError
    from tracker.settings import load
    from tracker.timeutil import get_zone, parse_duration

    try:  # a flag, then TRACKER_DB, then the config file (read only when it exists), as click's options do
        settings = load()
        path = sqlite_file(db_url(one.get("--db") or os.environ.get("TRACKER_DB")))
        stale = one.get("--stale-after") or settings.get("stale_after")
        stale_after = parse_duration(stale) if stale else timedelta(minutes=30)
        tz = get_zone(one.get("--tz") or settings.time_zone)
    except (TrackerError, RuntimeError):
        return None  # the full path says what is wrong
    if path is None:  # PostgreSQL and in-memory SQLite: no state file
        return None
    from tracker.views.statefile import read_state

    data = read_state(path)
    if data is None:
        return None
    if stale_after > timedelta(hours=1):  # it would keep windows the file (written with 30 m) left out
        return None
    if "--at" in one or data.get("as_of"):  # tests: only the very moment the file was computed at
        if "--at" not in one or one["--at"] != data["computed_at"] and _utc(one["--at"]) != data["computed_at"]:
            return None
        now = datetime.fromisoformat(data["computed_at"])
    else:
        now = datetime.now(UTC)
    from tracker.views.statefile import from_state
    from tracker.views.status import render_status

    try:
        report = from_state(data, tuple(opts.get("--account", ())), now, stale_after)
        if report is None or not report.accounts:
            return None
        term = None
        if fmt == "text":
            from tracker.views.terminal import for_stream

            term = for_stream(sys.stdout, None, None)
        return render_status(report, KINDS if kind == "all" else (kind,), fmt, tz, term)
    except (KeyError, TypeError, AttributeError, ValueError):  # a state file not as written: the full path
        return None


def _utc(text: str) -> str | None:
    from datetime import UTC, datetime

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def main() -> None:
    if sys.argv[1:2] == ["status"]:
        out = fast_status(sys.argv[2:])
        if out is not None:
            sys.stdout.write(out + "\n")
            sys.stdout.flush()
            return
    from tracker.cli.root import main as full

    full()
