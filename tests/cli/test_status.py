"""`tracker status`: every format, exact output, on a history collected at fixed instants."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.helpers import T0, iso, run

AT = iso(T0 + timedelta(hours=1))


def status(db, *args):
    return run("status", "--db", str(db), "--at", AT, "--tz", "UTC", *args)


def test_text_line(history_db):
    db, _, _ = history_db
    result = status(db)
    assert result.exit_code == 0
    assert result.stdout == "work 5h 70% · wk 46% ↘ 22:30\n"


def test_one_kind_and_tmux(history_db):
    db, _, _ = history_db
    assert status(db, "--kind", "five_hour").stdout == "work 5h 70%\n"
    assert status(db, "--format", "tmux").stdout == "#[fg=red]work 5h 70% · wk 46% ↘ 22:30#[default]\n"


def test_waybar(history_db):
    db, _, _ = history_db
    out = json.loads(status(db, "--format", "waybar").stdout)
    assert out == {"text": "work 5h 70% · wk 46% ↘ 22:30",
                   "tooltip": "work 5h: 70% left, resets 14:00\n"
                              "work wk: 46% left, resets Mon 23 Nov 10:00, runs out 22:30",
                   "class": "critical", "percentage": 46}


def test_i3blocks_and_json(history_db):
    db, _, _ = history_db
    assert status(db, "--format", "i3blocks").stdout == (
        "work 5h 70% · wk 46% ↘ 22:30\nwork 46%\n#e06c75\n")
    item, = json.loads(status(db, "--format", "json").stdout)
    assert item["account"] == "work" and item["severity"] == "critical" and item["stale"] is False
    assert [w["kind"] for w in item["windows"]] == ["five_hour", "weekly"]
    assert item["windows"][0]["remaining_percent"] == 70


def test_stale_is_marked_never_fresh(history_db):
    db, _, _ = history_db
    later = run("status", "--db", str(db), "--at", iso(T0 + timedelta(hours=3)), "--tz", "UTC", "--kind", "five_hour")
    assert later.stdout == "work 5h 70% · stale (2h 00m ago)\n"
    waybar = json.loads(run("status", "--db", str(db), "--at", iso(T0 + timedelta(hours=3)), "--kind", "five_hour",
                            "--format", "waybar").stdout)
    assert waybar["class"] == "stale" and "stale: last snapshot 2h 00m ago" in waybar["tooltip"]


@pytest.mark.parametrize("fmt", ["text", "waybar"])
def test_unknown_account(history_db, fmt):
    db, _, _ = history_db
    result = status(db, "--account", "nobody", "--format", fmt)
    assert result.exit_code == 1 and "no account named 'nobody'" in result.stderr
