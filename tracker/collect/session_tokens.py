"""Token counts on Codex session-log lines: ``info.total_token_usage`` (the session's cumulative
counts) and ``info.last_token_usage`` (the last request's own), read into ``TokenCounts``.

A line's use is the difference between its cumulative counts and those of the file's previous
``token_count`` line (lines without rate limits still move the count, so nothing falls between
two readings). A cumulative count that goes back (a session restarted inside one file, a
compaction that recounted) is no negative use: the line's ``last_token_usage`` stands for it.
A count that goes back and then returns to where it was before (one garbled or reordered line)
is counted once: the line that returns counts what brings the file's sum up to its total, no
more (else each dip counted the session again: x10 on a log whose every other line was garbled).
"""

from __future__ import annotations

import json

from tracker.records import TokenCounts

FIELDS = (("input", "input_tokens"), ("cached_input", "cached_input_tokens"), ("output", "output_tokens"),
          ("reasoning_output", "reasoning_output_tokens"))
_MAX = 1 << 62  # a count past this is garbage (and would not fit the database's BIGINT)


def read_counts(usage: object) -> TokenCounts | None:
    """``{"input_tokens": 1200, ...}`` as TokenCounts; None when no field is a whole count >= 0, or
    when a field is there but no such count (NaN, negative, text): read as 0, it would make the
    next line's difference count the whole session again."""
    if not isinstance(usage, dict):
        return None
    values, found = {}, False
    for name, key in FIELDS:
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _MAX:
            values[name], found = value, True
        elif isinstance(value, float) and value.is_integer() and 0 <= value < _MAX:
            values[name], found = int(value), True
        elif value is not None:
            return None
    return TokenCounts(**values) if found else None


Dip = tuple[TokenCounts, TokenCounts]  # (the totals before the count went back, all counted since the file's start)


def _at_least_zero(counts: TokenCounts) -> TokenCounts:
    return TokenCounts(*(max(0, getattr(counts, name)) for name, _ in FIELDS))


class SessionTokens:
    """One session file's cumulative counts at the last line taken (stored, or before ``--since``).

    ``from_start``: the file is read from its first byte, where the session's count starts at
    zero. Resumed mid-file, ``totals`` are where the last import left it (None when that import
    kept none: then the first line's use is its ``last_token_usage``), and ``dip`` the open dip
    (see the module). A line that is no reading (no rate limits) is not taken, so its tokens fall
    into the next reading's difference.
    """

    def __init__(self, from_start: bool, totals: TokenCounts | None = None, dip: Dip | None = None) -> None:
        self.totals = TokenCounts() if from_start else totals
        self.dip = dip if self.totals is not None else None
        self._stepped: tuple[TokenCounts, Dip | None] | None = None

    def step(self, info: object) -> tuple[TokenCounts | None, TokenCounts | None]:
        """(the line's use since the last line taken, its cumulative totals); (None, None) for a
        line without counts. Nothing moves until ``take``."""
        if not isinstance(info, dict):
            return None, None
        total = read_counts(info.get("total_token_usage"))
        last = read_counts(info.get("last_token_usage"))
        if total is None:
            return last, None
        previous, dip = self.totals, self.dip
        if previous is None:
            use = last
        elif dip is not None and total.covers(dip[0]):  # back where it was before the dip: up to the total, once
            use, dip = _at_least_zero(total.minus(dip[1])), None
        elif total.covers(previous):
            use = total.minus(previous)
            dip = None if dip is None else (dip[0], dip[1].plus(use))
        else:  # went back: a restart, or a garbled or reordered line
            use = last if last is not None else total
            dip = (previous, previous.plus(use)) if dip is None else (dip[0], dip[1].plus(use))
        self._stepped = (total, dip)
        return use, total

    def take(self, totals: TokenCounts | None) -> None:
        """The line whose totals these are was stored (or lies before --since): count from it on."""
        if totals is None:
            return
        if self._stepped is not None and self._stepped[0] is totals:
            self.dip = self._stepped[1]
        self.totals = totals


def dump_totals(tokens: SessionTokens) -> str | None:
    """The totals (and an open dip's two counts after them) as import_progress keeps them (JSON),
    or None."""
    if tokens.totals is None:
        return None
    kept = [tokens.totals, *(tokens.dip or ())]
    return json.dumps([getattr(counts, name) for counts in kept for name, _ in FIELDS])


def _load(text: str | None) -> list[TokenCounts]:
    try:
        values = json.loads(text) if text else None
    except ValueError:
        return []
    size = len(FIELDS)
    if not (isinstance(values, list) and len(values) in (size, 3 * size)
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)):
        return []
    return [TokenCounts(*values[i: i + size]) for i in range(0, len(values), size)]


def load_totals(text: str | None) -> TokenCounts | None:
    """The totals ``dump_totals`` wrote; None for nothing or anything unreadable."""
    return next(iter(_load(text)), None)


def load_dip(text: str | None) -> Dip | None:
    """The open dip ``dump_totals`` wrote after the totals, if any."""
    kept = _load(text)
    return (kept[1], kept[2]) if len(kept) == 3 else None
