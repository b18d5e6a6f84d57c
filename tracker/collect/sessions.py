"""Backfill from Codex's own session logs (``sessions/**/rollout-*.jsonl``, ``archived_sessions/``).

Streams each file from where the last import stopped (path, size, mtime, offset, and a hash of
its first bytes to notice a rewrite), skips most lines with a byte search before any JSON
parsing, and stores ``token_count`` events' ``rate_limits`` through the same normaliser and
storage code as ``collect``, with the line's token counts (``tracker.collect.session_tokens``).
Re-reading is harmless: a snapshot already stored is skipped, and its tokens with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracker.collect.normalize import RESET_RELATIVE_KEYS, is_flat, normalize_payload
from tracker.collect.session_tokens import Dip, SessionTokens, dump_totals, load_dip, load_totals
from tracker.fsutil import NotRegularFile, open_regular
from tracker.records import SnapshotRecord, TokenCounts, snapshot_key

SOURCE = "session-log"
HEAD_BYTES = 4096
BATCH = 2000
BLOCK_BYTES = 1 << 20
_MARKER = b'"token_count"'
_RELATIVE = tuple(key.encode() for key in RESET_RELATIVE_KEYS)


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

    def as_dict(self) -> dict:
        return {"files": self.files, "files_read": self.files_read, "bytes_read": self.bytes_read,
                "lines": self.lines, "token_count_events": self.token_count_events,
                "imported": self.imported, "duplicates": self.duplicates, "flat_events": self.flat_events,
                "skipped": dict(sorted(self.skipped.items()))}


@dataclass
class LogFile:
    path: Path
    account: str
    size: int
    mtime_ns: int
    start: int  # where to resume reading
    token_totals: TokenCounts | None = None  # the session's cumulative counts at ``start``
    token_dip: Dip | None = None  # and the dip they are in (``session_tokens``), if any


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


def _head_sha1(path: Path, offset: int) -> str:
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
                head = _head_sha1(path, seen["offset"]) if seen else None
            except FileNotFoundError:
                summary.skipped["vanished_file"] += 1
                continue
            except NotRegularFile:
                summary.skipped["not_a_regular_file"] += 1
                continue
            except OSError:
                summary.skipped["unreadable_file"] += 1
                continue
            start, totals, dip = 0, None, None
            if seen and seen["head_sha1"] == head and seen["offset"] <= info.st_size and seen["account"] == account:
                if seen["size"] == info.st_size and seen["mtime_ns"] == info.st_mtime_ns:
                    continue  # read to the end, unchanged since
                start = seen["offset"] if seen["size"] <= info.st_size else 0
                if start:
                    totals, dip = load_totals(seen.get("token_totals")), load_dip(seen.get("token_totals"))
            plan.append(LogFile(path, account, info.st_size, info.st_mtime_ns, start, totals, dip))
    return plan


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


FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks disagree a little; a log from tomorrow is wrong


class _Importer:
    def __init__(self, store, since: datetime | None, on_bytes: Callable[[int], None] | None,
                 now: datetime | None = None) -> None:
        self.store, self.since, self.on_bytes = store, since, on_bytes
        # A line dated ahead of the clock would become every window's latest reading: skipped.
        self.latest_plausible = (now or datetime.now(UTC)) + FUTURE_TOLERANCE
        self.summary = ImportSummary()
        self.records: list[SnapshotRecord] = []
        self.pending_progress: dict[str, dict] = {}
        self._last: tuple[bytes, object] = (b"", None)
        self._before_since = False  # the current file had events older than --since
        self._read_to: dict[str, int] = {}
        self._tokens = SessionTokens(True)
        self._last_record: SnapshotRecord | None = None  # the current file's last record

    def read(self, log: LogFile) -> None:
        """Read the file's new complete lines in 1 MiB blocks.

        Lines are counted and searched for the token_count marker with ``bytes.count``/``find``
        over whole blocks, so the many lines that are not token_count events never become
        Python objects. A half-written last line is left for the next run.
        """
        key = str(log.path.resolve())
        self._before_since = False
        try:
            handle = open_regular(log.path)
        except FileNotFoundError:
            self.summary.skipped["vanished_file"] += 1
            return
        except NotRegularFile:
            self.summary.skipped["not_a_regular_file"] += 1
            return
        except OSError:
            self.summary.skipped["unreadable_file"] += 1
            return
        self.summary.files_read += 1
        self._tokens = SessionTokens(log.start == 0, log.token_totals, log.token_dip)
        self._last_record = None
        offset = log.start
        pending: list[bytes] = []  # the start of a line longer than a block
        with handle:
            handle.seek(offset)
            while block := handle.read(BLOCK_BYTES):
                if b"\n" not in block:
                    pending.append(block)
                    continue
                data = b"".join([*pending, block]) if pending else block
                complete = data.rfind(b"\n") + 1
                self._scan(data, complete, log.account)
                pending = [data[complete:]] if complete < len(data) else []
                offset += complete
                self._progress(key, log, offset)
                if len(self.records) >= BATCH:
                    self.flush()
        if pending:
            self.summary.skipped["truncated_last_line"] += 1
        self._progress(key, log, offset, at_end=True)

    def _scan(self, data: bytes, end: int, account: str) -> None:
        """Count the complete lines in data[:end] and take the token_count events among them."""
        lines = data.count(b"\n", 0, end)
        json_like = data.count(b"\n{", 0, end - 1) + (data[:1] == b"{")
        self.summary.lines += lines
        if lines > json_like:
            self.summary.skipped["not_json"] += lines - json_like
        pos = data.find(_MARKER, 0, end)
        while pos != -1:
            line_start = data.rfind(b"\n", 0, pos) + 1
            line_end = data.find(b"\n", pos)
            self._take(data[line_start:line_end], account)
            pos = data.find(_MARKER, line_end, end)

    def _progress(self, key: str, log: LogFile, offset: int, at_end: bool = False) -> None:
        """Remember that the file is read up to ``offset``; saved with the snapshots read so far.

        Only a file read to its end records its size and mtime (which make the next run skip it);
        a position saved mid-file (a batch stored, then Ctrl-C, SIGKILL or an error) records
        ``offset`` as the size, so the next run resumes from there.

        A file that had events older than ``--since`` keeps its earlier position: what was
        skipped is not read, and a later import without ``--since`` must still find it.
        """
        previous = self._read_to.get(key, log.start)
        self._read_to[key] = offset
        self.summary.bytes_read += offset - previous
        if self.on_bytes:
            self.on_bytes(offset - previous)
        if self._before_since:
            return
        try:
            head = _head_sha1(log.path, offset)
        except OSError:
            return  # gone or unreadable now: it will be planned afresh next time
        self.pending_progress[key] = {"path": key, "account": log.account, "size": log.size if at_end else offset,
                                      "mtime_ns": log.mtime_ns, "offset": offset, "head_sha1": head,
                                      "token_totals": dump_totals(self._tokens)}

    def _take(self, line: bytes, account: str) -> None:
        event = token_event(line)
        revisable = bool(self.records) and self.records[-1] is self._last_record  # this file's, not stored yet
        tokens, totals = (self._tokens.step(event["payload"].get("info"), revisable) if isinstance(event, dict)
                          else (None, None))
        parsed = event if isinstance(event, str) else reading(event)
        if isinstance(parsed, str):
            if parsed != "other_event":
                self.summary.skipped[parsed] += 1
            return
        self.summary.token_count_events += 1
        at, limits = parsed
        if at > self.latest_plausible:
            self.summary.skipped["in_the_future"] += 1
            return
        if self.since and at < self.since:
            self.summary.skipped["before_since"] += 1
            self._before_since = True
            self._tokens.take(totals)  # used before the period: never counted in it
            return
        raw = json.dumps(limits, separators=(",", ":"), ensure_ascii=False).encode()
        # Consecutive events usually repeat the same limits: reuse the last result unless a reset
        # is relative to the line's own timestamp.
        if raw == self._last[0] and not any(key in raw for key in _RELATIVE):
            usage = self._last[1]
        else:
            usage = normalize_payload({"rate_limits": limits}, at)
            self._last = (raw, usage)
        if not usage.parsed:
            self.summary.skipped["unparsed"] += 1
            return
        if not usage.windows:
            self.summary.skipped["no_windows"] += 1
            return
        if is_flat(limits):
            self.summary.flat_events += 1
        self._tokens.take(totals)
        if self._tokens.retract is not None and revisable:  # the line before was a spike: its over-count back
            self._last_record.tokens = self._last_record.tokens.minus(self._tokens.retract)
        self._last_record = SnapshotRecord(account, at, SOURCE, usage, raw, tokens, totals)
        self.records.append(self._last_record)

    def flush(self) -> None:
        """Store the new snapshots (skipping ones already stored), then the read positions."""
        by_account: dict[str, list[SnapshotRecord]] = {}
        for record in self.records:
            by_account.setdefault(record.account, []).append(record)
        for account, records in by_account.items():
            known = self.store.snapshot_keys(account, SOURCE, min(r.collected_at for r in records),
                                             max(r.collected_at for r in records))
            fresh = []
            for record in records:
                key = snapshot_key(record.collected_at, [(w.limit, w.kind, w.window_seconds, w.used_percent, w.reset_at)
                                                         for w in record.usage.windows])
                if key in known:
                    self.summary.duplicates += 1
                    continue
                known.add(key)
                fresh.append(record)
            fresh.sort(key=lambda r: r.collected_at)
            self.store.add_snapshots(fresh)
            self.summary.imported += len(fresh)
        self.records = []
        self.store.save_progress(list(self.pending_progress.values()))
        self.pending_progress = {}


def import_sessions(
    store, homes: list[tuple[str, Path]], since: datetime | None = None,
    on_plan: Callable[[int], None] | None = None, on_bytes: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> ImportSummary:
    """Import every new token_count event under the given Codex homes into ``store``; events dated
    more than ``FUTURE_TOLERANCE`` after ``now`` are skipped and counted (``in_the_future``)."""
    importer = _Importer(store, since, on_bytes, now)
    plan = plan_files(homes, store.progress(), importer.summary)
    if on_plan:
        on_plan(sum(f.size - f.start for f in plan))
    for log in plan:
        importer.read(log)
        if len(importer.records) >= BATCH:
            importer.flush()
    importer.flush()
    return importer.summary
