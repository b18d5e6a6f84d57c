"""Token counts on Codex session-log lines: ``info.total_token_usage`` (the session's cumulative
counts) and ``info.last_token_usage`` (the last request's own), read into ``TokenCounts``.

A line's use is the difference between its cumulative counts and those of the file's previous
``token_count`` line (lines without rate limits still move the count, so nothing falls between
two readings). A cumulative count that goes back (a session restarted inside one file, a
compaction that recounted) is no negative use: the line's ``last_token_usage`` stands for it.
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


class SessionTokens:
    """One session file's cumulative counts at the last line taken (stored, or before ``--since``).

    ``from_start``: the file is read from its first byte, where the session's count starts at
    zero. Resumed mid-file, ``totals`` are where the last import left it (None when that import
    kept none: then the first line's use is its ``last_token_usage``). A line that is no reading
    (no rate limits) is not taken, so its tokens fall into the next reading's difference.
    """

    def __init__(self, from_start: bool, totals: TokenCounts | None = None) -> None:
        self.totals = TokenCounts() if from_start else totals

    def step(self, info: object) -> tuple[TokenCounts | None, TokenCounts | None]:
        """(the line's use since the last line taken, its cumulative totals); (None, None) for a
        line without counts. Nothing moves until ``take``."""
        if not isinstance(info, dict):
            return None, None
        total = read_counts(info.get("total_token_usage"))
        last = read_counts(info.get("last_token_usage"))
        if total is None:
            return last, None
        previous = self.totals
        if previous is not None and total.covers(previous):
            return total.minus(previous), total
        return (last if last is not None else total if previous is not None else None), total

    def take(self, totals: TokenCounts | None) -> None:
        """The line whose totals these are was stored (or lies before --since): count from it on."""
        if totals is not None:
            self.totals = totals


def dump_totals(totals: TokenCounts | None) -> str | None:
    """The totals as import_progress keeps them (JSON), or None."""
    if totals is None:
        return None
    return json.dumps([getattr(totals, name) for name, _ in FIELDS])


def load_totals(text: str | None) -> TokenCounts | None:
    """What ``dump_totals`` wrote; None for nothing or anything unreadable."""
    try:
        values = json.loads(text) if text else None
    except ValueError:
        return None
    if not (isinstance(values, list) and len(values) == len(FIELDS)
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)):
        return None
    return TokenCounts(*values)
