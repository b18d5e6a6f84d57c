"""Reading Codex session logs (``sessions/**/rollout-*.jsonl``, ``archived_sessions/``): which
files to read and from where, their complete lines in 1 MiB blocks, and one line as a
``token_count`` event. Turning those events into snapshots is ``tracker.collect.sessions``'s job.

Kept apart so that what a file *is* (its position, a rewrite noticed by the hash of its first
bytes, a half-written last line, a line that is no JSON) is decided in one place, before any
snapshot or token arithmetic.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from tracker.fsutil import NotRegularFile, open_regular

HEAD_BYTES = 4096
BLOCK_BYTES = 1 << 20
MARKER = b'"token_count"'
_NOT_JSON_START = re.compile(rb"\n[^{]")  # a newline, then a line that does not start with "{"


@dataclass
class ImportSummary:
    files: int = 0
    files_read: int = 0
    bytes_read: int = 0
    lines: int = 0
    token_count_events: int = 0
    imported: int = 0
    duplicates: int = 0
    flat_events: int = 0  # token_count events in the older flat form (Codex around 0.40)
    skipped: Counter = field(default_factory=Counter)
    # per account, limit families past the cap not imported: {"families", "readings", "first"}
    refused_limits: dict[str, dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"files": self.files, "files_read": self.files_read, "bytes_read": self.bytes_read,
                "lines": self.lines, "token_count_events": self.token_count_events,
                "imported": self.imported, "duplicates": self.duplicates, "flat_events": self.flat_events,
                "skipped": dict(sorted(self.skipped.items())), "refused_limits": self.refused_limits}


@dataclass
class LogFile:
    path: Path
    account: str
    size: int
    mtime_ns: int
    start: int  # where to resume reading
    token_state: str | None = None  # the session's counts at ``start``, as ``session_tokens`` saved them


def find_logs(home: Path, summary: ImportSummary) -> Iterator[Path]:
    """Every ``*.jsonl`` under sessions/ (nested or flat) and archived_sessions/."""
    for sub in ("sessions", "archived_sessions"):
        root = home / sub
        if not root.is_dir():
            continue

        def unreadable(_error: OSError) -> None:
            summary.skipped["unreadable_directory"] += 1

        for directory, dirs, files in os.walk(root, onerror=unreadable):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".jsonl"):
                    path = Path(directory) / name
                    try:  # a name that is not UTF-8 cannot be stored as the progress key
                        str(path).encode("utf-8")
                    except UnicodeEncodeError:
                        summary.skipped["name_not_utf8"] += 1
                        continue
                    yield path


def head_sha1(path: Path, offset: int) -> str:
    """Hash of the first bytes already read: appending never changes it, rewriting does."""
    with open_regular(path) as handle:
        return hashlib.sha1(handle.read(min(offset, HEAD_BYTES))).hexdigest()


def plan_files(homes: list[tuple[str, Path]], progress: dict[str, dict], summary: ImportSummary) -> list[LogFile]:
    """What to read, and from where: new bytes of known files, rewritten files from the start."""
    plan = []
    for account, home in homes:
        for path in find_logs(home, summary):
            summary.files += 1
            try:
                key = str(path.resolve())
            except RuntimeError:  # a symbolic link that points back to itself
                summary.skipped["symlink_loop"] += 1
                continue
            seen = progress.get(key)
            try:
                info = path.stat()
                if not stat.S_ISREG(info.st_mode):
                    raise NotRegularFile(str(path))
                head = head_sha1(path, seen["offset"]) if seen else None
            except FileNotFoundError:
                summary.skipped["vanished_file"] += 1
                continue
            except NotRegularFile:
                summary.skipped["not_a_regular_file"] += 1
                continue
            except OSError:
                summary.skipped["unreadable_file"] += 1
                continue
            start, tokens = 0, None
            if seen and seen["head_sha1"] == head and seen["offset"] <= info.st_size and seen["account"] == account:
                if seen["size"] == info.st_size and seen["mtime_ns"] == info.st_mtime_ns:
                    continue  # read to the end, unchanged since
                start = seen["offset"] if seen["size"] <= info.st_size else 0
                tokens = seen.get("token_totals") if start else None
            plan.append(LogFile(path, account, info.st_size, info.st_mtime_ns, start, tokens))
    return plan


def open_log(log: LogFile, summary: ImportSummary) -> BinaryIO | None:
    """The file opened for reading, or None (counted: vanished, not a regular file, unreadable)."""
    try:
        handle = open_regular(log.path)
    except FileNotFoundError:
        summary.skipped["vanished_file"] += 1
        return None
    except NotRegularFile:
        summary.skipped["not_a_regular_file"] += 1
        return None
    except OSError:
        summary.skipped["unreadable_file"] += 1
        return None
    summary.files_read += 1
    return handle


def complete_blocks(handle: BinaryIO, offset: int, summary: ImportSummary) -> Iterator[tuple[bytes, int, int]]:
    """(data, end, offset) for each run of complete lines from ``offset``: ``data[:end]`` holds
    them, ``offset`` is where the next unread byte lies. Read in ``BLOCK_BYTES`` blocks; a line
    longer than a block is gathered first. A half-written last line is left for the next run
    (counted as ``truncated_last_line``)."""
    pending: list[bytes] = []  # the start of a line longer than a block
    handle.seek(offset)
    while block := handle.read(BLOCK_BYTES):
        if b"\n" not in block:
            pending.append(block)
            continue
        data = b"".join([*pending, block]) if pending else block
        complete = data.rfind(b"\n") + 1
        pending = [data[complete:]] if complete < len(data) else []
        offset += complete
        yield data, complete, offset
    if pending:
        summary.skipped["truncated_last_line"] += 1


def marked_lines(data: bytes, end: int, summary: ImportSummary) -> Iterator[bytes]:
    """The lines in data[:end] holding the token_count marker; every line counted.

    Lines are counted and searched with ``bytes.count``/``find`` over whole blocks, so the many
    lines that are not token_count events never become Python objects."""
    lines = data.count(b"\n", 0, end)
    summary.lines += lines
    # A line that does not start with "{" is no JSON object. Looking for one with a regular
    # expression runs at the speed of counting newlines (a third of ``count(b"\n{")``'s time on
    # 20 MB); only a block that has one is counted exactly.
    if data[:1] != b"{" or _NOT_JSON_START.search(data, 0, end) is not None:
        json_like = data.count(b"\n{", 0, end - 1) + (data[:1] == b"{")
        if lines > json_like:
            summary.skipped["not_json"] += lines - json_like
    pos = data.find(MARKER, 0, end)
    while pos != -1:
        line_start = data.rfind(b"\n", 0, pos) + 1
        line_end = data.find(b"\n", pos)
        yield data[line_start:line_end]
        pos = data.find(MARKER, line_end, end)


PLAUSIBLE = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))  # Codex logs, not history


def token_event(line: bytes) -> dict | str:
    """A token_count event (its ``payload`` a dict), or the reason the line is skipped."""
    try:
        event = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: a line nested thousands deep
        return "not_json"
    if not isinstance(event, dict):
        return "not_json"
    payload = event.get("payload")
    if event.get("type") != "event_msg" or not isinstance(payload, dict) or payload.get("type") != "token_count":
        return "other_event"
    return event


def parse_line(line: bytes) -> tuple[datetime, dict] | str:
    """A token_count event's (timestamp, rate_limits), or the reason the line is skipped."""
    event = token_event(line)
    return event if isinstance(event, str) else reading(event)


def reading(event: dict) -> tuple[datetime, dict] | str:
    """A token_count event's (timestamp, rate_limits), or the reason it is no reading."""
    limits = event["payload"].get("rate_limits")
    if not isinstance(limits, dict):
        return "no_rate_limits"
    try:
        at = datetime.fromisoformat(str(event.get("timestamp")).replace("Z", "+00:00"))
    except ValueError:
        return "bad_timestamp"
    if at.tzinfo is None or not PLAUSIBLE[0] <= at <= PLAUSIBLE[1]:
        return "bad_timestamp"  # year 1 or 2999 would overflow every later date computation
    return at, limits
