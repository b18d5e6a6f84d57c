"""The history tells the truth (issue 20), through the dashboard API on a real server: the same
resets in /api/series and /api/resets, possible daily use, an overdue window marked once."""

from __future__ import annotations

from datetime import timedelta

from tests.fixtures import HIST_T0, INTERLEAVED_WEEK, get, interleaved_home, polled_records, run
from tracker.kinds import FIVE_HOUR, MAIN_LIMIT
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store

PERIOD = "since=2026-11-08T00:00:00Z&until=2026-11-13T00:00:00Z"


def resets(server, account: str, kind: str) -> tuple[list, list]:
    series = get(server, f"/api/series?account={account}&kind={kind}&{PERIOD}").json()
    ledger = get(server, f"/api/resets?account={account}&kind={kind}&{PERIOD}").json()
    return series["resets"], [e for e in ledger["events"] if e["event"] == "reset"]


def test_interleaved_logs_three_resets_and_a_possible_daily_use(tmp_path, start_server):
    db = tmp_path / "h.db"
    assert run("import-sessions", "--db", str(db), "--codex-home", f"me={interleaved_home(tmp_path)}").exit_code == 0
    server = start_server(f"sqlite:///{db}")
    markers, events = resets(server, "me", "five_hour")
    assert len(markers) == len(events) == 3
    assert [e["timing"] for e in events] == ["on_time", "early", "on_time"]
    days = get(server, "/api/daily?account=me&tz=UTC&days=10").json()["days"]
    used = [d["used_percent"] for d in days]
    rise = INTERLEAVED_WEEK[1] - INTERLEAVED_WEEK[0]
    assert max(used) <= rise and rise - 3 <= sum(used) <= rise + 1  # the week rose 25 points, no more


def test_hourly_idle_windows_are_no_resets(tmp_path, start_server):
    db = tmp_path / "p.db"
    records, true_resets, _peaks = polled_records()
    with Store.open(f"sqlite:///{db}") as store:
        store.add_snapshots(records)
    markers, events = resets(start_server(f"sqlite:///{db}"), "poll", "five_hour")
    assert len(markers) == len(events) == true_resets


def test_an_overdue_window_is_marked_once(tmp_path, start_server):
    """A reset seen, then a window past its reset time read a few seconds past it, then nothing."""
    db = tmp_path / "o.db"
    r1, r2 = HIST_T0 + timedelta(hours=5), HIST_T0 + timedelta(hours=11)
    rows = [(0, 20.0, r1), (4, 50.0, r1), (6, 3.0, r2), (10, 40.0, r2)]
    rows += [(11 + s / 3600, 41.0, r2) for s in (2, 4, 6, 8, 10)]  # past the reset time, the old window still
    with Store.open(f"sqlite:///{db}") as store:
        store.add_snapshots([SnapshotRecord("late", HIST_T0 + timedelta(hours=h), "api",
                                            Usage([Window(MAIN_LIMIT, FIVE_HOUR, 18000, used, reset)]))
                             for h, used, reset in rows])
    server = start_server(f"sqlite:///{db}")
    markers, events = resets(server, "late", "five_hour")
    assert len(markers) == len(events) == 1
    report = get(server, "/api/report").json()
    five = next(w for a in report["accounts"] for w in a["windows"] if w["kind"] == "five_hour")
    assert five["reset_since_last_snapshot"] is True
