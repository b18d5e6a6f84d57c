"""check, pick, Prometheus and exports, on a history collected at fixed instants."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest

from tests.fixtures import T0, iso, run, store_url
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store

AT = iso(T0 + timedelta(hours=1))


def add_home(db, five_used=5.0, weekly_used=80.0):
    """A second account with lots of five-hour room but a fuller week."""
    store = Store.open(store_url(db))
    for i in range(5):
        at = T0 + timedelta(minutes=15 * i)
        store.add_snapshots([SnapshotRecord("home", at, "api", Usage([
            Window("codex", "five_hour", 18000, five_used, T0 + timedelta(hours=3)),
            Window("codex", "weekly", 604800, weekly_used, T0 + timedelta(days=2)),
        ]))])
    store.close()


@pytest.mark.parametrize("args,code,lines", [
    ([], 0, []),
    (["--before-reset"], 0, []),  # its last hour's 4 %/h is not the week's pace
    (["--before-reset", "--kind", "five_hour"], 0, []),
    (["--min-remaining", "50"], 10, ["work: weekly window: 46% left (below 50%)"]),
    (["--min-remaining", "80", "--kind", "weekly"], 10, ["work: weekly window: 46% left"]),
])
def test_check_thresholds(history_db, args, code, lines):
    db, _, _ = history_db
    result = run("check", "--db", str(db), "--at", AT, "--tz", "UTC", *args)
    assert result.exit_code == code
    out = result.stdout.splitlines()
    assert len(out) == len(lines)
    for line, expected in zip(out, lines, strict=True):
        assert line.startswith(expected)


def test_check_before_reset_uses_the_forecast(history_db):
    db, _, _ = history_db
    add_home(db)  # weekly 80 % five days into the week, reset in two: on its pace it runs out
    result = run("check", "home", "--db", str(db), "--at", AT, "--tz", "UTC", "--before-reset")
    assert result.exit_code == 10
    assert result.stdout.startswith("home: weekly window runs out at ")
    assert run("check", "work", "--db", str(db), "--at", AT, "--before-reset").exit_code == 0


def test_check_stale_wins_over_low(history_db):
    db, _, _ = history_db
    result = run("check", "--db", str(db), "--at", iso(T0 + timedelta(hours=3)), "--min-remaining", "90")
    assert result.exit_code == 20
    assert result.stdout.splitlines()[0].startswith("work: stale: last snapshot 2h 00m ago")
    assert any("below 90%" in line for line in result.stdout.splitlines())


def test_pick_the_account_with_most_headroom(history_db):
    db, accounts, _ = history_db
    add_home(db)
    # work: 5h 70 % left, weekly 46 % -> 46; home: 5h 95 %, weekly 20 % -> 20
    assert run("pick", "--db", str(db), "--at", AT).stdout == "work\n"
    assert run("pick", "--db", str(db), "--at", AT, "--kind", "five_hour").stdout == "home\n"
    with_path = run("pick", "--db", str(db), "--at", AT, "--path").stdout
    assert with_path == f"work\t{accounts / 'work.auth.json'}\n"
    stale = run("pick", "--db", str(db), "--at", iso(T0 + timedelta(hours=5)))
    assert stale.exit_code == 1 and "no fresh account" in stale.stderr


def test_pick_exit_1_when_nothing_is_left(tmp_path):
    db = tmp_path / "full.db"
    add_home(db, five_used=100.0, weekly_used=100.0)
    result = run("pick", "--db", str(db), "--at", AT)
    assert result.exit_code == 1


def test_prometheus_gauges(history_db, tmp_path):
    db, _, _ = history_db
    text = run("report", "--db", str(db), "--at", AT, "--format", "prometheus").stdout
    assert 'codex_usage_used_percent{account="work",limit="codex",kind="five_hour"} 30.0' in text
    assert 'codex_usage_reset_timestamp_seconds{account="work",limit="codex",kind="five_hour"} 1795183200.0' in text
    assert 'codex_usage_burn_rate_percent_per_hour{account="work",limit="codex",kind="weekly"} 4.0' in text
    assert 'codex_usage_last_success_timestamp_seconds{account="work"} 1795172400.0' in text
    assert "NaN" not in text
    names = set(re.findall(r"^(codex_usage_\w+)[{ ]", text, re.M))
    for name in names:
        assert f"# HELP {name} " in text and f"# TYPE {name} gauge" in text
    sample = re.compile(r'^codex_usage_\w+\{account="[^"]+"(,limit="[^"]+",kind="[^"]+")?\} -?\d+(\.\d+)?(e[+-]?\d+)?$')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line
    textfiles = tmp_path / "textfile"
    textfiles.mkdir()
    out = textfiles / "codex.prom"
    assert run("export", "--format", "prometheus", "--db", str(db), "-o", str(out)).exit_code == 0
    assert out.read_text().startswith("# HELP codex_usage_used_percent")
    assert [p.name for p in textfiles.iterdir()] == ["codex.prom"]  # no temporary file left behind


def test_exports_match_history(history_db, tmp_path):
    db, _, _ = history_db
    history = json.loads(run("history", "--db", str(db), "--format", "json").stdout)
    assert json.loads(run("export", "--db", str(db), "--format", "json").stdout) == history
    ndjson = [json.loads(line) for line in run("export", "--db", str(db), "--format", "ndjson").stdout.splitlines()]
    assert ndjson == history
    rows = list(csv.DictReader(io.StringIO(run("export", "--db", str(db)).stdout)))
    assert len(rows) == 10 and rows[0]["snapshot_id"] == str(history[0]["snapshot_id"])
    assert rows[0]["collected_at"] == "2026-11-20T10:00:00Z"
    since = json.loads(run("export", "work", "--db", str(db), "--format", "json", "--since", iso(T0 + timedelta(minutes=50))).stdout)
    assert len(since) == 2
    out = tmp_path / "e.csv"
    run("export", "--db", str(db), "--errors", "-o", str(out))
    assert out.read_text().splitlines() == ["account,at,kind,http_status,message"]
