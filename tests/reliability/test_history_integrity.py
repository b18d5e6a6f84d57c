"""The history tells the truth (issue 20), through the CLI: interleaved session logs, hourly
collection with idle windows and jittering reset times, pruning run three times on flat and on
polled data, limit families mixed in, the demo before and after pruning."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.fixtures import (
    END,
    HIST_T0,
    INTERLEAVED_WINDOWS,
    fill,
    flat_home,
    interleaved_home,
    polled_records,
    rate_line,
    run,
    write_session_file,
)
from tracker.storage.store import Store

PERIOD = ("--since", "2026-11-01", "--until", "2026-11-30")


def ledger(db, *extra) -> list[dict]:
    result = run("resets", "--db", str(db), *PERIOD, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def imported(tmp_path, home, account="me"):
    db = tmp_path / "h.db"
    result = run("import-sessions", "--db", str(db), "--codex-home", f"{account}={home}")
    assert result.exit_code == 0, result.output
    return db


def older_than(moment: datetime) -> str:
    """A --older-than duration (the CLI counts from the wall clock) whose cutoff is ``moment``."""
    return f"{int((datetime.now(UTC) - moment).total_seconds() // 60)}m"


def test_interleaved_session_logs_give_the_true_resets_burn_and_daily_use(tmp_path):
    db = imported(tmp_path, interleaved_home(tmp_path))
    events = ledger(db, "--kind", "five_hour")
    assert [(e["event"], e["timing"]) for e in events] == [("reset", "on_time"), ("reset", "early"), ("reset", "on_time")]
    assert [e["used_before"] for e in events] == [peak for *_, peak in INTERLEAVED_WINDOWS[:3]]
    assert ledger(db, "--kind", "weekly") == []
    again = run("import-sessions", "--db", str(db), "--codex-home", f"me={tmp_path / '.codex'}")
    assert again.exit_code == 0 and ledger(db, "--kind", "five_hour") == events  # importing again changes nothing
    mid = (HIST_T0 + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = json.loads(run("report", "--db", str(db), "--at", mid, "--json").stdout)
    five = next(w for w in report["accounts"][0]["windows"] if w["kind"] == "five_hour")
    assert 12 <= five["burn_rate_percent_per_hour"] <= 18  # truth: 59 points in 4 hours


def test_hourly_collection_with_idle_windows_and_jitter(tmp_path):
    db = tmp_path / "p.db"
    records, true_resets, peaks = polled_records()
    with Store.open(f"sqlite:///{db}") as store:
        store.add_snapshots(records)
    events = ledger(db, "--kind", "five_hour")
    assert [e["event"] for e in events] == ["reset"] * true_resets  # no "moved" from idle windows
    assert [e["used_before"] for e in events] == peaks
    assert all(e["timing"] == "on_time" for e in events)


def _prune_three_times(db, cutoff: datetime) -> list[list[dict]]:
    answers = [ledger(db)]
    for _ in range(3):
        result = run("prune", "--db", str(db), "--older-than", older_than(cutoff), "--downsample", "1h")
        assert result.exit_code == 0, result.output
        answers.append(ledger(db))
    return answers


def test_pruning_three_times_keeps_flat_windows_and_their_peaks(tmp_path):
    home, peaks = flat_home(tmp_path)
    db = imported(tmp_path, home)
    answers = _prune_three_times(db, HIST_T0 + timedelta(days=10))
    assert [e["used_before"] for e in answers[0]] == peaks[:-1]
    assert all(a == answers[0] for a in answers)
    kept = run("history", "--db", str(db), "--format", "json", "--since", "2026-11-01", "--until", "2026-11-30")
    assert len(json.loads(kept.stdout)) < 130  # it did thin


def test_pruning_three_times_keeps_polled_windows(tmp_path):
    db = tmp_path / "p.db"
    records, true_resets, peaks = polled_records(step=timedelta(minutes=5))
    with Store.open(f"sqlite:///{db}") as store:
        store.add_snapshots(records)
        before = store.snapshot_count()
    answers = _prune_three_times(db, HIST_T0 + timedelta(days=10))
    assert [e["used_before"] for e in answers[0] if e["kind"] == "five_hour"] == peaks
    assert all(a == answers[0] for a in answers)
    with Store.open(f"sqlite:///{db}") as store:
        assert store.snapshot_count() < before / 3


def test_another_limit_family_named_codex_stays_out_of_the_main_quota(tmp_path):
    home = tmp_path / ".codex"
    week_reset = HIST_T0 + timedelta(days=5)
    lines = []
    for k in range(30):
        at = HIST_T0 + timedelta(minutes=10 * k)
        lines.append(rate_line(at, None, (32.0, week_reset)))
        lines.append(rate_line(at + timedelta(seconds=3), None, (75.0, week_reset),
                               limit_id="codex_bengalfox", limit_name="codex"))
    write_session_file(home / "sessions/2026/11/09/rollout-mixed.jsonl", lines)
    db = imported(tmp_path, home)
    at = (HIST_T0 + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = json.loads(run("report", "--db", str(db), "--at", at, "--json").stdout)
    windows = {(w["limit"], w["kind"]): w for w in report["accounts"][0]["windows"]}
    assert windows[("codex", "weekly")]["used_percent"] == 32.0
    assert windows[("codex_bengalfox", "weekly")]["used_percent"] == 75.0
    assert ledger(db) == []


def test_demo_answers_are_the_same_before_and_after_pruning(tmp_path):
    """The ledger, per-window peaks, the backtest's windows (and its weekly scores, read hourly)
    and report --at after the cutoff, before and after three thinning runs."""
    db = tmp_path / "demo.db"
    fill(f"sqlite:///{db}", accounts=2, days=8)
    cutoff = END - timedelta(days=2)
    moments = [(cutoff + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ") for h in (6, 20, 47)]

    def answers():
        backtest = json.loads(run("backtest", "--db", str(db), *PERIOD, "--json").stdout)["series"]
        reports = []
        for at in moments:
            data = json.loads(run("report", "--db", str(db), "--at", at, "--json").stdout)
            reports.append(data["accounts"])
        return (ledger(db), [(s["account"], s["kind"], s["windows"]) for s in backtest],
                [s for s in backtest if s["kind"] == "weekly"], reports)

    before = answers()
    assert len(before[0]) > 10
    removed = []
    for _ in range(3):
        result = run("prune", "--db", str(db), "--older-than", older_than(cutoff), "--downsample", "1h")
        assert result.exit_code == 0, result.output
        removed.append(int(result.stdout.split()[1]))
        assert answers() == before
    assert removed[0] > 1000 and removed[1:] == [0, 0]  # it thinned, once
