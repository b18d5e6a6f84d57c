"""Session token counts where one bogus line sits next to another, or at the end of what was
read: a count ten times too high beside a lost digit, two in a row, on the last line of a file,
on the last line of an import that a later one resumes. One bogus line must not inflate the
total, and a real jump must not be lost: a rise that the line's own ``last_token_usage`` cannot
explain is held until a later line (in this import or a later one) continues from it."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.fixtures import HIST_T0, rate_line, run, sqlite_rows, write_log
from tracker.collect.session_tokens import SessionTokens, dump_totals
from tracker.records import TokenCounts

TRUE_TOTALS = [(1000 * (i + 1), 500 * (i + 1), 100 * (i + 1), 10 * (i + 1)) for i in range(40)]
LAST = (1000, 500, 100, 10)  # every line's own use


def _x10(t):
    return tuple(10 * v for v in t)


def _tenth(t):
    return tuple(v // 10 for v in t)


def _tampered(kind: str) -> list[tuple]:
    shown = list(TRUE_TOTALS)
    if kind == "spike then a lost digit":
        shown[30], shown[31] = _x10(shown[30]), _tenth(shown[31])
    elif kind == "spike then zero":
        shown[30], shown[31] = _x10(shown[30]), (0, 0, 0, 0)
    elif kind == "lost digit then spike":
        shown[30], shown[31] = _tenth(shown[30]), _x10(shown[31])
    elif kind == "two spikes in a row":
        shown[30], shown[31] = _x10(shown[30]), _x10(shown[31])
    elif kind == "every third line a spike, the next a lost digit":
        for i in range(1, 38, 3):
            shown[i], shown[i + 1] = _x10(shown[i]), _tenth(shown[i + 1])
    elif kind == "the last line ten times its count":
        shown[39] = _x10(shown[39])
    elif kind == "line 30 ten times its count":
        shown[30] = _x10(shown[30])
    return shown


def _log(shown, lasts=None) -> list[str]:
    return [rate_line(HIST_T0 + timedelta(minutes=5 * i), None, (float(i), HIST_T0 + timedelta(days=5)),
                      total=shown[i], last=(lasts or {}).get(i, LAST)) for i in range(len(shown))]


def _import(tmp_path, lines, cuts=()):
    """Import ``lines`` as one growing session file: first up to each cut, then all of it."""
    home, db = tmp_path / ".codex", tmp_path / "t.db"
    path = home / "sessions/2026/11/09/rollout-a.jsonl"
    for end in [*cuts, len(lines)]:
        write_log(path, lines[:end])
        assert run("import-sessions", "--codex-home", f"me={home}", "--db", db).exit_code == 0
    return sqlite_rows(db, "SELECT count(*), sum(input_tokens), sum(output_tokens) FROM snapshots")[0]


@pytest.mark.parametrize("kind", [
    "spike then a lost digit",  # was 347,800
    "spike then zero",  # was 351,000
    "lost digit then spike",  # was 328,000
    "two spikes in a row",  # was 328,000
    "every third line a spike, the next a lost digit",  # was 423,200
    "the last line ten times its count",  # was 400,000
])
def test_a_spike_beside_a_dip_or_at_the_end_counts_no_more_than_was_used(tmp_path, kind):
    assert _import(tmp_path, _log(_tampered(kind))) == (40, 40_000, 4_000)


@pytest.mark.parametrize(("kind", "cuts"), [
    ("line 30 ten times its count", [31]),  # the spike the last line of the first import: was 319,000
    ("spike then a lost digit", [31]),  # was 347,800
    ("spike then a lost digit", [31, 32]),
    ("lost digit then spike", [32]),
    ("two spikes in a row", [31, 32]),
    ("the last line ten times its count", [40]),  # and the same file read again, unchanged
])
def test_a_spike_on_the_last_line_of_an_import_is_judged_by_the_next_import(tmp_path, kind, cuts):
    assert _import(tmp_path, _log(_tampered(kind)), cuts) == (40, 40_000, 4_000)


JUMP = 19_000  # a real rise on line 30 that its own last_token_usage does not explain


def _jump() -> list[tuple]:
    return [(t[0] + JUMP, *t[1:]) if i >= 30 else t for i, t in enumerate(TRUE_TOTALS)]


@pytest.mark.parametrize("cuts", [[31], [30, 31], [31, 32], [31, 31]])
def test_a_real_jump_is_held_until_a_later_line_continues_from_it(tmp_path, cuts):
    # bad input never loses real data: line 30 keeps its own use while it is the last line read
    # (was: counted whole, however bogus), and the 19,000 it cannot explain are counted when line
    # 31 follows from it, in the next import
    home, db = tmp_path / ".codex", tmp_path / "t.db"
    path = home / "sessions/2026/11/09/rollout-a.jsonl"
    for end in [*cuts, 40]:
        write_log(path, _log(_jump())[:end])
        assert run("import-sessions", "--codex-home", f"me={home}", "--db", db).exit_code == 0
        expected = 1000 * end + (JUMP if end > 31 else 0)
        assert sqlite_rows(db, "SELECT sum(input_tokens) FROM snapshots") == [(expected,)], end


def test_lines_without_rate_limits_explain_the_rise_of_the_next_reading(tmp_path):
    # Codex writes token_count lines without rate limits too: their own use adds to what the next
    # reading's rise may be, so a real rise over several lines is not held back; the last reading
    # ten times its count keeps only the use of the lines since the reading before (was 400,000)
    shown = _tampered("the last line ten times its count")
    lines = []
    for i, total in enumerate(shown):
        at = HIST_T0 + timedelta(minutes=5 * i)
        reading = i % 4 == 3
        lines.append(rate_line(at, None, (float(i), HIST_T0 + timedelta(days=5)) if reading else None,
                               total=total, last=LAST))
    assert _import(tmp_path, lines) == (10, 40_000, 4_000)


_FOUR = st.tuples(*[st.integers(0, 5000)] * 4)
_NAMES = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")


def _anywhere(totals: list[tuple], how: list[str]) -> list[tuple]:
    """Lines lowered (a digit lost, zeroed) or raised (x10) anywhere, side by side, but the last."""
    shown = list(totals)
    for i in range(len(totals) - 1):
        shown[i] = {"tenth": _tenth, "zero": lambda t: (0, 0, 0, 0), "x10": _x10}.get(how[i], lambda t: t)(totals[i])
    return shown


@settings(max_examples=400, deadline=None)
@given(st.lists(_FOUR, min_size=2, max_size=30),
       st.lists(st.sampled_from(["ok", "ok", "tenth", "zero", "x10"]), min_size=30, max_size=30),
       st.integers(0, 30))
# a spike by one token past what its own use explains, then lines back exactly at the level before
# it: closing there forgot the token counted, and the next rise counted it again
@example([(0, 0, 0, 0), (0, 0, 0, 1112), (0, 0, 1, 0), (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0)],
         ["ok", "tenth", "ok", "tenth", "tenth"] + ["ok"] * 25, 30)
@example([(0, 0, 0, 0)] * 3 + [(0, 0, 0, 10)] + [(0, 0, 0, 0)] * 3, ["ok"] * 4 + ["zero", "tenth"] + ["ok"] * 24, 0)
def test_bogus_lines_anywhere_add_at_most_their_own_use_and_hide_nothing(steps, how, cut):
    # true cumulative counts, tampered anywhere but on the last line: what is counted is at most
    # the truth plus the own use of the tampered lines (was: a spike beside a dip counted the
    # session again), and what is counted plus what is still held for confirmation is at least
    # the truth; the state saved after any line and resumed gives the same counts
    totals = list(itertools.accumulate(steps, lambda a, b: tuple(x + y for x, y in zip(a, b, strict=True))))
    shown = _anywhere(totals, how)
    session, counted, slack = SessionTokens(from_start=True), TokenCounts(), TokenCounts()
    for i, (seen, true, spent) in enumerate(zip(shown, totals, steps, strict=True)):
        if i == cut:  # the import ends here; the next one resumes from what was saved
            session = SessionTokens.resume(dump_totals(session))
        use, line_totals = session.step({"total_token_usage": dict(zip(_NAMES, seen, strict=True)),
                                         "last_token_usage": dict(zip(_NAMES, spent, strict=True))})
        session.take(line_totals)
        assert min(vars(use).values()) >= 0
        counted = counted.plus(use)
        if seen != true:  # a rise within what the line's own use explains is its own, from a
            # lowered line too (as a restarted count's would be): at most what it shows
            explained = TokenCounts(*(2 * x + 1000 for x in spent))
            high = TokenCounts(*seen).covers(TokenCounts(*true))
            slack = slack.plus(explained if high else TokenCounts(*spent).plus(
                TokenCounts(*(min(a, b) for a, b in zip(seen, vars(explained).values(), strict=True)))))
    truth = TokenCounts(*totals[-1])
    assert truth.plus(slack).covers(counted), (counted, truth, shown)
    assert counted.plus(session.unconfirmed).covers(truth), (counted, session.unconfirmed, truth, shown)
