"""`tracker limits` end to end: generated session logs (tests/fixtures.py ``simulate_use``) imported,
then the price of one percent and the changes read back as JSON and text."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest

from tests.fixtures import LIMITS_T0, iso, rate_line, run, simulate_use, use_home, write_log

CUT = LIMITS_T0 + timedelta(weeks=5)  # a Monday: from then on the same work costs twice the percent


def imported(tmp_path, sessions) -> str:
    home = use_home(tmp_path, sessions)
    db = str(tmp_path / "t.db")
    result = run("import-sessions", "--codex-home", f"me={home}", "--db", db)
    assert result.exit_code == 0, result.output
    return db


def limits_json(db, at: datetime, *args) -> list[dict]:
    result = run("limits", "--db", db, "--at", iso(at), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def windows(account: dict) -> dict[str, dict]:
    return {w["kind"]: w for w in account["windows"]}


def test_a_limit_cut_is_found_within_a_few_days_with_its_ratio_and_evidence(tmp_path):
    db = imported(tmp_path, simulate_use(1, 8, cut_at=CUT))
    before = limits_json(db, CUT)  # the day the limit is cut: nothing to see yet
    assert all(not w["changes"] for w in before[0]["windows"])
    [account] = limits_json(db, CUT + timedelta(days=4), "--since", iso(LIMITS_T0))
    assert account["account"] == "me" and account["weighting"] == {"input": 1.0, "cached_input": 0.1, "output": 8.0}
    for kind in ("weekly", "five_hour"):
        [change] = windows(account)[kind]["changes"]
        at, last_before = (datetime.fromisoformat(change[k].replace("Z", "+00:00")) for k in ("at", "last_before_at"))
        assert last_before <= CUT <= at <= CUT + timedelta(days=2)  # the bracket holds the cut
        assert 0.4 <= change["ratio"] <= 0.6
        evidence = change["evidence"]
        assert evidence["tokens_before"] > evidence["tokens_after"] > 0
        assert evidence["percent_before"] > 0 and evidence["percent_after"] > 0 and evidence["days_after"] >= 2
    weeks = windows(account)["weekly"]["weeks"]
    old, new = weeks[-2]["tokens_per_percent"]["combined"], weeks[-1]["tokens_per_percent"]["combined"]
    assert new < 0.75 * old  # the last week, mostly after the cut: one percent costs far fewer tokens


@pytest.mark.parametrize("seed", [2, 5])
def test_eight_steady_weeks_with_noisy_weeks_show_no_change(tmp_path, seed):
    db = imported(tmp_path, simulate_use(seed, 8))
    [account] = limits_json(db, LIMITS_T0 + timedelta(weeks=8), "--since", "8w")
    assert [w["changes"] for w in account["windows"]] == [[], []]
    combined = [w["tokens_per_percent"]["combined"] for w in windows(account)["weekly"]["weeks"]
                if w["tokens_per_percent"]]
    assert len(combined) >= 6 and max(combined) < 1.6 * min(combined)  # noisy weeks, one price


def test_weak_evidence_stays_silent(tmp_path):
    """A few turns (1 % of rise), and a week where use elsewhere moves the window three times what
    the tokens here explain: no price, a reason, no change."""
    lines, total, used = [], (0, 0, 0, 0), 0.0

    def turn(at, reset, rise, tokens=True):
        nonlocal total, used
        if tokens:
            total = (total[0] + 40_000, total[1] + 30_000, total[2] + 1000, 0)
        used += rise
        lines.append(rate_line(at, None, (used, reset), total=total))

    for n in range(12):  # week one: a little local use
        turn(LIMITS_T0 + timedelta(hours=9, minutes=3 * n), LIMITS_T0 + timedelta(days=7), 1.0 if n == 6 else 0.0)
    used, reset2 = 0.0, LIMITS_T0 + timedelta(days=14)
    for hour in range(10):  # week two: each hour 1 point from local turns, then 3 points with no tokens here
        start = LIMITS_T0 + timedelta(days=8, hours=9 + hour)
        for n in range(6):
            turn(start + timedelta(minutes=5 * n), reset2, 1.0 if n == 5 else 0.0)
        turn(start + timedelta(minutes=30), reset2, 3.0, tokens=False)
    write_log(tmp_path / ".codex/sessions/rollout-weak.jsonl", lines)
    db = str(tmp_path / "t.db")
    assert run("import-sessions", "--codex-home", f"me={tmp_path / '.codex'}", "--db", db).exit_code == 0
    [account] = limits_json(db, LIMITS_T0 + timedelta(days=14), "--since", "2w")
    [first, second] = windows(account)["weekly"]["weeks"]
    assert first["tokens_per_percent"] is None and first["weak"].startswith("only 1 % of local rise")
    assert second["tokens_per_percent"] is None and "explain 25 %" in second["weak"]
    assert second["explained_share"] == 0.25 and second["percent"] == 40
    assert windows(account)["weekly"]["changes"] == []


def test_text_output_and_errors(tmp_path):
    db = imported(tmp_path, simulate_use(1, 7, cut_at=CUT))
    result = run("limits", "--db", db, "--at", iso(CUT + timedelta(days=10)), "--tz", "UTC", "--kind", "weekly")
    assert result.exit_code == 0, result.output
    assert "weekly window: tokens per 1 %" in result.output and "5h window" not in result.output
    assert "LIMIT CHANGE weekly: from " in result.output and "(ratio 0.5" in result.output
    assert "combined = uncached input + 0.1 × cached input + 8 × output" in result.output
    reset = CUT + timedelta(days=3)  # an account whose logs (older Codex) carry no token counts
    write_log(tmp_path / "old/sessions/rollout-x.jsonl",
              [rate_line(CUT + timedelta(minutes=m), None, (m / 10, reset)) for m in range(0, 300, 5)])
    assert run("import-sessions", "--codex-home", f"other={tmp_path / 'old'}", "--db", db).exit_code == 0
    hint = run("limits", "other", "--db", db, "--at", iso(CUT + timedelta(days=1)), "--tz", "UTC")
    assert hint.exit_code == 0 and "(no local token counts)" in hint.output
    # the note follows its row, across the token columns, and does not widen the input column
    assert "explained  input  cached" in hint.output
    assert re.search(r"\n    \d\d \w{3} – \d\d \w{3} +[\d.]+ +[\d.]+ +-  \(no local token counts\)\n", hint.output)
    assert "no token counts in this period: `tracker import-sessions`" in hint.output
    unknown = run("limits", "nobody", "--db", db)
    assert unknown.exit_code == 1 and "nobody" in unknown.output


def test_a_change_is_a_ledger_event_in_resets(tmp_path):
    db = imported(tmp_path, simulate_use(1, 7, cut_at=CUT))
    moment = iso(CUT + timedelta(days=10))
    result = run("resets", "--db", db, "--since", iso(CUT - timedelta(days=3)), "--until", moment, "--json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    changes = [e for e in entries if e["event"] == "limit_change"]
    assert {c["kind"] for c in changes} == {"weekly", "five_hour"}
    assert all(0.4 <= c["ratio"] <= 0.6 and c["used_before"] is None for c in changes)
    times = [datetime.fromisoformat(e["seen_at"].replace("Z", "+00:00")) for e in entries]
    assert times == sorted(times)
    resets = [e for e in entries if e["event"] == "reset"]
    assert resets, "the ordinary resets are still listed beside the change"
    text = run("resets", "--db", db, "--since", iso(CUT - timedelta(days=3)), "--until", moment, "--tz", "UTC")
    assert "limit cut x0.5" in text.output
    earlier = run("resets", "--db", db, "--since", iso(LIMITS_T0), "--until", iso(CUT - timedelta(days=1)), "--json")
    assert not [e for e in json.loads(earlier.output) if e["event"] == "limit_change"]


def test_a_change_notifies_once(tmp_path):
    db = imported(tmp_path, simulate_use(1, 7, cut_at=CUT))
    out = tmp_path / "exec.txt"
    command = f'echo "$TRACKER_ACCOUNT $TRACKER_KIND $TRACKER_RULE" >> {out}'

    def notify(days: float, *extra: str):
        result = run("notify", "--db", db, "--at", iso(CUT + timedelta(days=days)), "--tz", "UTC", "--below", "0",
                     "--limit-change", "--exec", command, *extra)
        assert result.exit_code == 0, result.output
        return result.stdout

    assert notify(-1) == ""  # before the cut: nothing
    first = notify(4)
    assert "sent (exec): Codex me: weekly limit cut: from Tue 13 Oct 14:02 the same work costs 1.9x more" in first
    assert sorted(out.read_text().splitlines()) == ["me five_hour@2026-10-13 limit_change",  # the first day seen
                                                    "me weekly@2026-10-13 limit_change"]
    assert notify(5) == "" and notify(9) == ""  # the same change: once, however it is dated later
    assert len(out.read_text().splitlines()) == 2
    assert run("notify", "--db", db, "--at", iso(CUT + timedelta(days=4)), "--below", "0", "--exec", command,
               "--dry-run").stdout == ""  # without --limit-change: no such rule


def test_weeks_before_the_first_reading_are_left_out_and_a_gap_after_it_keeps_its_note(tmp_path):
    # an account first read 5 weeks ago, then not for 3 weeks, then again this week: under --since 10w
    # the text showed "(no readings, 5 weeks)" for the weeks before it had ever been read
    now = LIMITS_T0 + timedelta(weeks=10)
    first = now - timedelta(weeks=5, days=-1)

    def day(start: datetime) -> list[str]:
        reset = start + timedelta(days=6)
        return [rate_line(start + timedelta(minutes=m), None, (m / 10, reset)) for m in range(0, 300, 5)]

    write_log(tmp_path / "c/sessions/rollout-x.jsonl", day(first) + day(now - timedelta(days=2)))
    db = str(tmp_path / "t.db")
    assert run("import-sessions", "--codex-home", f"new={tmp_path / 'c'}", "--db", db).exit_code == 0
    result = run("limits", "--db", db, "--at", iso(now), "--since", "10w", "--tz", "UTC", "--kind", "weekly")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if re.match(r"    \d\d \w{3} – ", line)]
    assert len(rows) == 3, result.output  # the first reading's week, the gap, this week (was 4: 5 empty weeks first)
    assert rows[0].startswith(f"    {now - timedelta(weeks=5):%d %b} – ") and "(no local token counts)" in rows[0]
    assert rows[1].endswith("(no readings, 3 weeks)") and "(no local token counts)" in rows[2]
    [account] = limits_json(db, now, "--since", "10w", "--kind", "weekly")
    [weekly] = account["windows"]
    assert len(weekly["weeks"]) == 10 and weekly["first_reading_at"] == iso(first)
