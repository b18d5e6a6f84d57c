"""``/api/resets`` over a real uvicorn server on 127.0.0.1: the ledger of ``tracker resets``, bounded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import DEMO_ACCOUNTS, get, moves_db, run
from tracker.insight.ledger import build_ledger
from tracker.storage.store import Store
from tracker.web import payloads

EVENT_KEYS = {"account", "limit", "kind", "event", "seen_at", "last_before_at", "used_before", "used_after",
              "expected_at", "new_reset_at", "timing", "reached_limit_at", "blocked_seconds"}


def ledger(url: str, names, since: datetime, until: datetime, kinds=("five_hour", "weekly")) -> list[dict]:
    store = Store.open(url)
    try:
        return [e.as_dict() for e in build_ledger(store, names, since, until, kinds)]
    finally:
        store.close()


def test_by_default_every_account_and_window_of_the_last_30_days(server, shared_demo_url, clock):
    response = get(server, "/api/resets")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    since = clock.now - timedelta(days=30)
    assert body["account"] is None and body["kind"] == "all"
    assert (body["since"], body["until"]) == ("2026-10-19T11:06:00Z", "2026-11-18T11:06:00Z")
    events = ledger(shared_demo_url, (), since, clock.now)
    assert body["events"] == events and body["total"] == body["returned"] == len(events) and not body["truncated"]
    assert {e["account"] for e in events} == set(DEMO_ACCOUNTS) and {e["kind"] for e in events} == {"five_hour",
                                                                                                   "weekly"}
    assert all(e.keys() == EVENT_KEYS for e in events)
    assert [e["seen_at"] for e in events] == sorted(e["seen_at"] for e in events)


def test_the_events_are_tracker_resets_json(server, shared_demo_url):
    period = ["--since", "2026-11-12T00:00:00Z", "--until", "2026-11-18T00:00:00Z"]
    cli = json.loads(run("resets", "work", "--db", shared_demo_url, "--kind", "weekly", *period, "--json").stdout)
    body = get(server, "/api/resets", params={"account": "work", "kind": "weekly", "since": period[1],
                                              "until": period[3]}).json()
    assert cli and body["events"] == cli


def test_account_kind_and_period_narrow_the_ledger(server, shared_demo_url, clock):
    body = get(server, "/api/resets", params={"account": "research", "kind": "five_hour", "since": "3d",
                                              "until": "1d"}).json()
    start, end = clock.now - timedelta(days=3), clock.now - timedelta(days=1)
    assert body["events"] == ledger(shared_demo_url, ("research",), start, end, ("five_hour",))
    assert body["events"] and {(e["account"], e["kind"]) for e in body["events"]} == {("research", "five_hour")}
    assert all(start <= datetime.fromisoformat(e["seen_at"]) <= end for e in body["events"])
    empty = get(server, "/api/resets", params={"account": "work", "since": "2026-01-01T00:00:00Z",
                                               "until": "2026-01-02T00:00:00Z"}).json()
    assert (empty["events"], empty["total"]) == ([], 0)  # a known account, no history then: no error


def test_the_events_are_bounded_keeping_the_newest(server, monkeypatch):
    everything = get(server, "/api/resets").json()["events"]
    monkeypatch.setattr(payloads, "MAX_RESET_EVENTS", 5)  # the server runs in this process
    body = get(server, "/api/resets").json()
    assert body["truncated"] and body["total"] == len(everything) > 5 and body["returned"] == 5
    assert body["events"] == everything[-5:]


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"kind": "hourly"}, 400, "kind must be all or one of five_hour, weekly, monthly, other"),
    ({"account": "nobody"}, 404, "no account 'nobody'"),
    ({"since": "yesterdayish"}, 400, "not a time"),
    ({"since": "1d", "until": "2d"}, 400, "since must be before until"),
    ({"since": "400d"}, 400, "the period must be at most 366 days"),
])
def test_errors_are_json_with_a_status(server, params, status, message):
    response = get(server, "/api/resets", params=params)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_moved_and_late_resets_with_their_times(start_server, tmp_path, clock):
    t0 = clock.now - timedelta(hours=12)
    events = get(start_server(moves_db(tmp_path / "moves.db", t0)), "/api/resets").json()["events"]
    assert [(e["event"], e["timing"], e["used_before"], e["used_after"]) for e in events] == [
        ("moved", "later", 50.0, 55.0), ("reset", "late", 60.0, 3.0)]
    iso = lambda h: (t0 + timedelta(hours=h)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    assert (events[0]["expected_at"], events[0]["new_reset_at"]) == (iso(5), iso(7))
    assert (events[1]["seen_at"], events[1]["expected_at"]) == (iso(9), iso(7))
