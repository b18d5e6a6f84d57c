"""Token counts on Codex session-log lines: ``info.total_token_usage`` (the session's cumulative
counts) and ``info.last_token_usage`` (the last request's own), read into ``TokenCounts``.

A line's use is the difference between its cumulative counts and those of the file's previous
reading (lines without rate limits still move the count, so nothing falls between two readings).
Codex's cumulative count is the sum of the lines' own ``last_token_usage``, so a rise that the
lines' own use cannot explain, and a count that goes back, are irregular: one garbled, reordered
or restarted line must never make the session count twice. From the first irregular line on, the
tracker keeps the level before it and all it counted since (``open``), and:

- a count that goes back (a restart, a lost digit, a zero) counts its lines' own use, never a
  negative one; the line that returns to where the count was counts what brings the file's sum up
  to its total, no more (each dip counted the session again: x10 on a log whose every other line
  was garbled);
- a rise the lines' own use cannot explain (a digit doubled) counts that own use, and the rest is
  held: a later line that continues from it (its own rise explained) counts it; one that goes back
  counts up to its total, no more. A spike is so confirmed or refuted by the next line wherever
  that is: beside a dip, or in the next import (the state is kept with the read position). One
  bogus line made the session count 8 times (x10 on line 30), 8.7 times beside a lost digit.
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


Open = tuple[TokenCounts, TokenCounts]  # (the level before the irregular lines, it plus all counted since)
_ZERO = TokenCounts()


def _at_least_zero(counts: TokenCounts) -> TokenCounts:
    return TokenCounts(*(max(0, getattr(counts, name)) for name, _ in FIELDS))


def _at_most(counts: TokenCounts, cap: TokenCounts) -> TokenCounts:
    return TokenCounts(*(min(getattr(counts, n), getattr(cap, n)) for n, _ in FIELDS))


def _explains(spent: TokenCounts | None, rise: TokenCounts) -> bool:
    """The lines' own use accounts for the rise: at most twice it and a thousand (rounding,
    requests that wrote no line). Without a last_token_usage nothing can be judged: it does."""
    return spent is None or TokenCounts(*(2 * getattr(spent, n) + 1000 for n, _ in FIELDS)).covers(rise)


class SessionTokens:
    """One session file's cumulative counts at the last line taken (stored, or before ``--since``).

    ``from_start``: the file is read from its first byte, where the session's count starts at
    zero. Resumed mid-file, ``totals`` are where the last import left it (None when that import
    kept none: then the first line's use is its ``last_token_usage``), ``open`` the irregular
    stretch it was in and ``held`` a rise waiting for confirmation inside it (see the module). A
    line that is no reading (no rate limits) is not taken: its tokens, and its own use, fall into
    the next reading's.
    """

    def __init__(self, from_start: bool, totals: TokenCounts | None = None, opened: Open | None = None,
                 held: TokenCounts | None = None) -> None:
        self.totals = TokenCounts() if from_start else totals
        self.open = opened if self.totals is not None else None
        self.held = held if self.open is not None else None
        self._spent: TokenCounts | None = _ZERO  # own use of the lines stepped since the last one taken
        self._stepped: tuple | None = None  # (totals, open, held) should the line stepped last be taken

    @classmethod
    def resume(cls, text: str | None) -> SessionTokens:
        """Where ``dump_totals`` left a file (an import resumed mid-file)."""
        kept = _load(text)
        totals = kept[0] if kept else None
        opened = (kept[1], kept[2]) if len(kept) >= 3 else None
        return cls(False, totals, opened, kept[3] if len(kept) == 4 else None)

    @property
    def unconfirmed(self) -> TokenCounts:
        """What the lines taken rose by that is held, not counted, until a later line confirms it."""
        if self.open is None or self.totals is None:
            return _ZERO
        return _at_least_zero(self.totals.minus(self.open[1])).plus(self.held or _ZERO)

    def step(self, info: object) -> tuple[TokenCounts | None, TokenCounts | None]:
        """(the line's use since the last line taken, its cumulative totals); (None, None) for a
        line without counts. Nothing moves until ``take``."""
        self._stepped = None
        if not isinstance(info, dict):
            return None, None
        total = read_counts(info.get("total_token_usage"))
        last = read_counts(info.get("last_token_usage"))
        spent = None if self._spent is None or last is None else self._spent.plus(last)
        self._spent = spent
        if total is None:
            return last, None
        if self.totals is None:
            self._stepped = (total, None, None)
            return last, total
        use, opened, held = self._count(total, spent, last)
        self._stepped = (total, opened, held)
        return use, total

    def _count(self, total: TokenCounts, spent: TokenCounts | None, last: TokenCounts | None) -> tuple:
        """(use, open, held) for a line with cumulative ``total`` after the lines' own ``spent``."""
        level, opened, held = self.totals, self.open, self.held or _ZERO
        back = spent if spent is not None else last if last is not None else total  # a count that went back
        rise = total.minus(level)
        follows = total.covers(level) and _explains(spent, rise)  # continues from the line before
        if opened is None:
            if follows:
                return rise, None, None
            use = _at_most(rise, spent) if total.covers(level) else back  # a spike held, or a dip
            return use, (level, level.plus(use)), None
        before, counted = opened
        if total.covers(before):
            if follows and level.covers(before):  # after a spike (or a restart past the old level)
                use = rise.plus(_at_least_zero(level.minus(counted))).plus(held)
                counted = counted.plus(use)  # closed once the count is past all that was counted
                return use, None if total.covers(counted) else (before, counted), None
            # back from a dip, or off a spike: what brings the sum up to the total, once
            gap = _at_least_zero(total.minus(counted))
            if _explains(spent, gap):
                return gap, None if total.covers(counted) else (before, counted.plus(gap)), None
            use = _at_most(gap, spent)  # a spike again: its own use, the rest held
            return use, (before, counted.plus(use)), None
        if not total.covers(level):  # went back again inside the stretch
            return back, (before, counted.plus(back)), None
        if follows:  # a restarted count rising: its rise, and the rise it confirms
            use = rise.plus(held)
            return use, (before, counted.plus(use)), None
        use = _at_most(rise, spent)
        return use, (before, counted.plus(use)), rise.minus(use).plus(held)

    def take(self, totals: TokenCounts | None) -> None:
        """The line whose totals these are was stored (or lies before --since): count from it on."""
        self._spent = _ZERO
        if totals is not None and self._stepped is not None and self._stepped[0] is totals:
            self.totals, self.open, self.held = self._stepped
        elif totals is not None:
            self.totals = totals


def dump_totals(tokens: SessionTokens) -> str | None:
    """The totals (then an open stretch's two counts and a held rise, if any) as import_progress
    keeps them (JSON), or None."""
    if tokens.totals is None:
        return None
    kept = [tokens.totals, *(tokens.open or ()), *([tokens.held] if tokens.open and tokens.held else [])]
    return json.dumps([getattr(counts, name) for counts in kept for name, _ in FIELDS])


def _load(text: str | None) -> list[TokenCounts]:
    try:
        values = json.loads(text) if text else None
    except (ValueError, TypeError, RecursionError):  # a column edited by hand: a number, JSON nested deep
        return []
    size = len(FIELDS)
    if not (isinstance(values, list) and len(values) in (size, 3 * size, 4 * size)
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)):
        return []
    return [TokenCounts(*values[i: i + size]) for i in range(0, len(values), size)]


def load_totals(text: str | None) -> TokenCounts | None:
    """The totals ``dump_totals`` wrote; None for nothing or anything unreadable."""
    return next(iter(_load(text)), None)
