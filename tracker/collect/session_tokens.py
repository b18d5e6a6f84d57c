"""Token counts on Codex session-log lines: ``info.total_token_usage`` (the session's cumulative
counts) and ``info.last_token_usage`` (the last request's own), read into ``TokenCounts``.

A line's use is the difference between its cumulative counts and those of the file's previous
``token_count`` line (lines without rate limits still move the count, so nothing falls between
two readings). A cumulative count that goes back (a session restarted inside one file, a
compaction that recounted) is no negative use: the line's ``last_token_usage`` stands for it.
A count that goes back and then returns to where it was before (one garbled or reordered line)
is counted once: the line that returns counts what brings the file's sum up to its total, no
more (else each dip counted the session again: x10 on a log whose every other line was garbled).
A count above the lines on both sides (a digit doubled), counting far more than its own
``last_token_usage``, is taken back once the next line shows it, while its snapshot is not stored
yet (x8 on a log with one line at ten times its count).
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


def _plausible(last: TokenCounts) -> TokenCounts:
    """The most a line's cumulative rise should be, given its own last_token_usage: twice that and
    a thousand (Codex's cumulative count is the sum of the lines' own; lines without rate limits
    between two readings add theirs)."""
    return TokenCounts(*(2 * getattr(last, n) + 1000 for n, _ in FIELDS))


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
        self._stepped: tuple | None = None  # (totals, dip, use, spike, last_token_usage) of the line stepped last
        self._last: tuple | None = None  # the line taken last: (totals before it, its use, its last_token_usage)
        self.retract: TokenCounts | None = None  # after ``take``: what the line taken before over-counted
        self._line_last: TokenCounts | None = None

    def step(self, info: object, revisable: bool = False) -> tuple[TokenCounts | None, TokenCounts | None]:
        """(the line's use since the last line taken, its cumulative totals); (None, None) for a
        line without counts. Nothing moves until ``take``. ``revisable``: the use of the line taken
        last can still be lowered (it is not stored yet), should this line show it was a spike."""
        self._stepped = None
        use, total = self._step(info)
        if self._stepped is None:
            return use, total
        spike = self._spike(total) if revisable else None
        if spike is not None:
            use = spike[1]
        # a line read inside a dip is never revised later: its count already settled the dip
        self._stepped = (total, None if spike else self._stepped[1], use, spike,
                         None if self.dip is not None else self._line_last)
        return use, total

    def _spike(self, total: TokenCounts) -> tuple[TokenCounts, TokenCounts] | None:
        """A count above the lines on both sides (a digit doubled): the line after it goes back,
        but not below the line before it, and the line counted far more than its own
        last_token_usage (else the line after it is the one that dipped). The spike line keeps no
        more than the two lines' rise together (the over-count is taken back) and this line the rest."""
        previous, last = self.totals, self._last
        if last is None or last[2] is None or self.dip is not None or previous is None or total.covers(previous) \
                or not total.covers(last[0]) or _plausible(last[2]).covers(last[1]):
            return None
        rise = total.minus(last[0])
        kept = TokenCounts(*(min(getattr(last[1], n), getattr(rise, n)) for n, _ in FIELDS))
        return last[1].minus(kept), rise.minus(kept)

    def _step(self, info: object) -> tuple[TokenCounts | None, TokenCounts | None]:
        if not isinstance(info, dict):
            return None, None
        total = read_counts(info.get("total_token_usage"))
        last = read_counts(info.get("last_token_usage"))
        self._line_last = last
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
        self.retract, last = None, None
        if totals is not None and self._stepped is not None and self._stepped[0] is totals:
            _, self.dip, use, spike, line_last = self._stepped
            before = self.totals
            if spike is not None:  # the line taken last was the spike: this one follows the line before it
                self.retract, before = spike[0], self._last[0]
            last = None if before is None or use is None else (before, use, line_last)
        self._last = last  # only a line just stepped, with counts, can be revised
        if totals is not None:
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
