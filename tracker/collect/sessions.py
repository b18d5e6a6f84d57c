"""Backfill from Codex's own session logs: their ``token_count`` events turned into snapshots.

Reading the files (which, from where, complete lines, one line as an event) is
``tracker.collect.session_files``; the token arithmetic is ``tracker.collect.session_tokens``.
Here each event's ``rate_limits`` goes through the same normaliser and storage code as
``collect``, with the line's token counts, and the read positions are saved with the snapshots.
Re-reading is harmless: a snapshot already stored is skipped, and its tokens with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracker.collect.normalize import RESET_RELATIVE_KEYS, is_flat, normalize_payload
from tracker.collect.session_files import (
    ImportSummary,
    LogFile,
    complete_blocks,
    head_sha1,
    marked_lines,
    open_log,
    plan_files,
    reading,
    token_event,
)
from tracker.collect.session_tokens import SessionTokens, dump_totals
from tracker.kinds import MAIN_LIMIT
from tracker.records import SnapshotRecord, Usage

SOURCE = "session-log"
BATCH = 2000
_RELATIVE = tuple(key.encode() for key in RESET_RELATIVE_KEYS)

FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks disagree a little; a log from tomorrow is wrong
MAX_ACCOUNT_LIMITS = 32  # limit families one account may have once session logs are imported
_NAMES_COUNTED = 10_000  # distinct refused families counted exactly per account (a log may hold millions)


class LimitCap:
    """At most ``MAX_ACCOUNT_LIMITS`` limit families per account, those already stored included:
    each family is a series that every report, chart and status reads, and a log naming 5,000
    limit ids made 9,002 of them. The main quota is always kept. A family past the cap is not
    imported; its lines' token counts fall into the next reading kept, so no token is lost."""

    def __init__(self, store) -> None:
        self.store = store
        self._known: dict[str, set[str]] = {}
        self._refused: dict[str, tuple[dict[str, None], list[int]]] = {}  # names (bounded), [readings]

    def admit(self, account: str, usage: Usage) -> Usage | None:
        """``usage`` with only the families the account may keep, or None when none is left."""
        known = self._known.get(account)
        if known is None:
            known = self._known[account] = {key.limit for key in self.store.series_keys([account])}
        refused = set()
        for name in dict.fromkeys(w.limit for w in usage.windows):
            if name in known:
                continue
            if name == MAIN_LIMIT or len(known) < MAX_ACCOUNT_LIMITS:
                known.add(name)
            else:
                refused.add(name)
        if not refused:
            return usage
        names, readings = self._refused.setdefault(account, ({}, [0]))
        readings[0] += 1
        for name in sorted(refused):
            if len(names) < _NAMES_COUNTED:
                names.setdefault(name)
        kept = [w for w in usage.windows if w.limit not in refused]
        return replace(usage, windows=kept) if kept else None

    def refused(self) -> dict[str, dict]:
        """Per account: how many families were not imported (at least, past ``_NAMES_COUNTED``),
        in how many readings, and the first few names."""
        return {account: {"families": len(names), "readings": readings[0], "first": list(names)[:3]}
                for account, (names, readings) in sorted(self._refused.items())}


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
        self.limits = LimitCap(store)

    def read(self, log: LogFile) -> None:
        """Take the file's new complete lines (``session_files``), saving the position after each
        block so that a batch stored mid-file resumes where it ends."""
        key = str(log.path.resolve())
        self._before_since = False
        handle = open_log(log, self.summary)
        if handle is None:
            return
        self._tokens = SessionTokens(True) if log.start == 0 else SessionTokens.resume(log.token_state)
        offset = log.start
        with handle:
            for data, end, offset in complete_blocks(handle, log.start, self.summary):
                for line in marked_lines(data, end, self.summary):
                    self._take(line, log.account)
                self._progress(key, log, offset)
                if len(self.records) >= BATCH:
                    self.flush()
        self._progress(key, log, offset, at_end=True)

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
            head = head_sha1(log.path, offset)
        except OSError:
            return  # gone or unreadable now: it will be planned afresh next time
        self.pending_progress[key] = {"path": key, "account": log.account, "size": log.size if at_end else offset,
                                      "mtime_ns": log.mtime_ns, "offset": offset, "head_sha1": head,
                                      "token_totals": dump_totals(self._tokens)}

    def _take(self, line: bytes, account: str) -> None:
        event = token_event(line)
        tokens, totals = (self._tokens.step(event["payload"].get("info")) if isinstance(event, dict)
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
        usage = self.limits.admit(account, usage)
        if usage is None:
            self.summary.skipped["too_many_limits"] += 1
            return
        if is_flat(limits):
            self.summary.flat_events += 1
        self._tokens.take(totals)
        self.records.append(SnapshotRecord(account, at, SOURCE, usage, raw, tokens, totals))

    def flush(self) -> None:
        """Store the new snapshots (skipping ones already stored), then the read positions."""
        by_account: dict[str, list[SnapshotRecord]] = {}
        for record in self.records:
            by_account.setdefault(record.account, []).append(record)
        for account, records in by_account.items():
            fresh = self.store.add_new_snapshots(account, records)  # checked and stored in one transaction
            self.summary.duplicates += len(records) - len(fresh)
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
    importer.summary.refused_limits = importer.limits.refused()
    return importer.summary
