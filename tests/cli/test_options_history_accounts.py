"""What a newcomer hit in the first week: option values, empty answers, accounts, history cuts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import T0, iso, run, store_url
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store
from tracker.timeutil import format_countdown


@pytest.mark.parametrize("args,needle", [
    (["history", "--since", "7"], "'7' has no unit"),
    (["history", "--since", "nan"], "not a time"),
    (["history", "--since", "99999999d"], "duration too long"),
    (["report", "--at", "0001-01-01"], "out of range"),
    (["report", "--at", "9999-12-31T23:59"], "out of range"),
    (["report", "--tz", "Mars/Olympus"], "unknown time zone"),
    (["report", "--tz", "+25:00"], "offset out of range"),
    (["report", "--lookback", "0s"], "too short"),
    (["report", "--stale-after", "1e9d"], "not a duration"),
    (["collect", "--timeout", "nan"], "not a duration"),
    (["collect", "--timeout", "inf"], "not a duration"),
    (["collect", "--every", "0s"], "too short"),
    (["chart", "--days", "inf"], "not in the range"),
    (["chart", "--size", "nanxnan"], "between 2 and 100"),
    (["chart", "--width", "nan"], "not a finite number"),
    (["demo", "--days", "nan"], "not a finite number"),
    (["prune", "--older-than", "90d", "--downsample", "0s"], "too short"),
    (["check", "--min-remaining", "nan"], "not a finite number"),
    (["schedule", "install", "--every", "10s", "--print"], "too short"),
])
def test_bad_option_values_exit_2_before_anything_is_created(tmp_path, args, needle):
    db = tmp_path / "sub" / "t.db"
    result = run(*args, "--db", str(db)) if args[0] not in ("schedule",) else run(*args)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    assert "internal error" not in result.stderr
    assert not (tmp_path / "sub").exists()


@pytest.mark.parametrize("zone,shown", [("utc", "11:00"), ("UTC", "11:00"), ("+02:00", "13:00"),
                                        ("asia/tokyo", "20:00"), ("-0530", "05:30")])
def test_zones_in_any_case_and_fixed_offsets(history_db, zone, shown):
    db, _, _ = history_db
    out = run("history", "--db", str(db), "--tz", zone, "--limit", "1", "--format", "table").stdout
    # the newest row: Fri 20 Nov 11:00 UTC (with its year, 2026, once the clock is in another year)
    assert shown in out.splitlines()[1].split()[5:7]


def test_report_at_before_the_first_snapshot_says_what_was_asked(history_db):
    db, _, _ = history_db
    result = run("report", "--db", str(db), "--at", "2026-11-19T10:00", "--tz", "UTC")
    assert result.exit_code == 1
    assert "no snapshots at or before Thu 19 Nov 2026 10:00" in result.stderr


def test_report_of_known_and_unknown_names(history_db):
    db, _, _ = history_db
    result = run("report", "work", "home", "--db", str(db), "--at", iso(T0 + timedelta(hours=1)))
    assert result.exit_code == 1
    assert result.stdout.startswith("as of ") and "work (pro)" in result.stdout
    assert result.stderr.strip() == "tracker: no account named 'home' (see `tracker accounts`)"
    only_unknown = run("report", "home", "--db", str(db))
    assert only_unknown.exit_code == 1 and "no account named 'home'" in only_unknown.stderr


def test_just_now_not_in_0m():
    assert format_countdown(timedelta(seconds=1)) == "just now"
    assert format_countdown(timedelta(seconds=-59)) == "just now"
    assert format_countdown(timedelta(seconds=61)) == "in 1m"


def _fill(db, snapshots: int, accounts=("work", "home")):
    with Store.open(store_url(db)) as store:
        store.add_snapshots([
            SnapshotRecord(name, T0 + timedelta(minutes=5 * i), "api", Usage([
                Window("codex", "five_hour", 18000, float(i % 100), None),
                Window("codex", "weekly", 604800, float(i % 100) / 2, None)]))
            for i in range(snapshots) for name in accounts])


def test_history_says_when_it_cuts_and_periods_are_not_cut(tmp_path):
    db = tmp_path / "t.db"
    _fill(db, 40)  # 40 snapshots x 2 accounts x 2 windows = 160 rows
    cut = run("history", "--db", str(db), "--tz", "UTC")
    assert cut.exit_code == 0
    assert cut.stderr.strip() == "tracker: showing the newest 50 of 160; --limit N or --all"
    assert len(cut.stdout.splitlines()) == 51  # header, 50 rows
    newest = cut.stdout.splitlines()[1].split()
    assert newest[1] == "home" and newest[2:5] == ["Fri", "20", "Nov"] and "13:15" in newest[5:7]  # 2026 from 2027 on
    period = run("history", "--db", str(db), "--since", iso(T0), "--tz", "UTC")
    assert period.stderr == "" and len(period.stdout.splitlines()) == 161
    everything = run("history", "--db", str(db), "--all")
    assert everything.stderr == "" and len(everything.stdout.splitlines()) == 161
    limited = run("history", "--db", str(db), "--limit", "5", "--format", "json")
    rows = json.loads(limited.stdout)
    assert "newest 5 of 160" in limited.stderr and len(rows) == 5
    assert [r["collected_at"] for r in rows] == sorted(r["collected_at"] for r in rows)  # oldest first


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_history_newest_rows_equal_a_full_sort(tmp_path, request, backend):
    db = tmp_path / "t.db" if backend == "sqlite" else request.getfixturevalue("pg_db")
    _fill(db, 30, accounts=("b", "a", "c"))
    with Store.open(store_url(db)) as store:
        full = store.history(newest_first=True)
        for n in (1, 7, 50, 400):
            assert store.history(limit=n) == full[:n]
        assert store.history(since=T0 + timedelta(minutes=140), limit=400) == full[:3 * 2 * 2]
        assert store.history(until=T0 + timedelta(minutes=5), limit=3) == full[-12:-9]
        assert store.history(("a",), limit=4) == [r for r in full if r.account == "a"][:4]


def test_history_of_an_empty_period_says_which(history_db):
    db, _, _ = history_db
    result = run("history", "--db", str(db), "--since", "2030-01-01", "--tz", "UTC")
    assert result.exit_code == 0 and result.stdout.strip() == "no snapshots since Tue 01 Jan 00:00"


def test_accounts_list_rename_merge_forget(tmp_path, monkeypatch):
    db = tmp_path / "t.db"
    _fill(db, 3, accounts=("work", "typo", "home"))
    listed = json.loads(run("accounts", "--db", str(db), "--json").stdout)
    assert [a["name"] for a in listed] == ["home", "typo", "work"]
    assert listed[0]["snapshots"] == 3 and listed[0]["last_status"] == "ok"
    assert listed[0]["first_snapshot_at"] == "2026-11-20T10:00:00Z"
    table = run("accounts", "--db", str(db), "--tz", "UTC").stdout
    assert table.splitlines()[0].split()[:2] == ["account", "source"] and "typo" in table

    refused = run("accounts", "rename", "typo", "work", "--db", str(db))
    assert refused.exit_code == 2 and "--merge" in refused.stderr
    merged = run("accounts", "rename", "typo", "work", "--merge", "--db", str(db))
    assert merged.exit_code == 0 and merged.stdout.strip() == "merged typo into work"
    with Store.open(store_url(db)) as store:
        assert store.account_names() == ["home", "work"]
        assert len(store.history(("work",))) == 12  # 6 snapshots x 2 windows, in the same two series
        assert len({(r.limit, r.kind) for r in store.history(("work",))}) == 2
    assert run("accounts", "rename", "work", "job", "--db", str(db)).stdout.strip() == "renamed work to job"
    missing = run("accounts", "rename", "nobody", "x", "--db", str(db))
    assert missing.exit_code == 1 and "no account named 'nobody'" in missing.stderr

    not_a_terminal = run("accounts", "forget", "home", "--db", str(db))
    assert not_a_terminal.exit_code == 2 and "--yes" in not_a_terminal.stderr
    forgot = run("accounts", "forget", "home", "--yes", "--db", str(db))
    assert forgot.stdout.strip() == "forgot home (3 snapshots)"
    with Store.open(store_url(db)) as store:
        assert store.account_names() == ["job"] and len(store.history()) == 12
    unknown = run("accounts", "forget", "job", "ghost", "--yes", "--db", str(db))
    assert unknown.exit_code == 1
    with Store.open(store_url(db)) as store:  # one transaction: nothing of job went either
        assert store.account_names() == ["job"]


def test_pick_codex_home_only_offers_switchable_accounts(tmp_path):
    db = tmp_path / "t.db"
    now = datetime.now(UTC)
    homes = {"work": tmp_path / ".codex-work" / "auth.json", "loose": tmp_path / "accts" / "loose.auth.json"}
    from tracker.records import AccountInfo

    with Store.open(store_url(db)) as store:
        for name, used in (("work", 50.0), ("loose", 5.0)):
            store.add_snapshots([SnapshotRecord(name, now - timedelta(minutes=1), "api", Usage([
                Window("codex", "five_hour", 18000, used, now + timedelta(hours=2))]))],
                {name: AccountInfo(name, source_path=str(homes[name]))})
    assert run("pick", "--db", str(db)).stdout.strip() == "loose"
    assert run("pick", "--db", str(db), "--path").stdout.strip() == f"loose\t{homes['loose']}"
    assert run("pick", "--db", str(db), "--codex-home").stdout.strip() == str(tmp_path / ".codex-work")
