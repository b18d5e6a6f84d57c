"""schedule install/status/remove against temporary systemd/launchd dirs and fake crontab/systemctl
executables on PATH (real processes, never the user's real schedule)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli.root import cli

FAKES = {
    # a crontab that keeps its table in $FAKE_CRONTAB
    "crontab": '#!/bin/sh\nif [ "$1" = "-l" ]; then\n  [ -f "$FAKE_CRONTAB" ] || { echo "no crontab for user" >&2; exit 1; }\n'
               '  cat "$FAKE_CRONTAB"\nelif [ "$1" = "-" ]; then\n  cat > "$FAKE_CRONTAB"\nfi\n',
    "systemctl": '#!/bin/sh\necho "systemctl $*" >> "$FAKE_LOG"\n',
    "launchctl": '#!/bin/sh\necho "launchctl $*" >> "$FAKE_LOG"\n',
}


@pytest.fixture
def fake_tools(tmp_path, monkeypatch, isolated_env):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, script in FAKES.items():
        path = bin_dir / name
        path.write_text(script)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_CRONTAB", str(tmp_path / "crontab.txt"))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "calls.log"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cron_install_status_remove_keeps_other_lines(fake_tools):
    crontab = fake_tools / "crontab.txt"
    crontab.write_text("0 3 * * * /usr/bin/backup\n")
    result = run("schedule", "install", "--scheduler", "cron", "--every", "10m", "--account-dir", "/acc")
    assert result.exit_code == 0, result.output
    lines = crontab.read_text().splitlines()
    assert lines[0] == "0 3 * * * /usr/bin/backup"
    env_file = Path(os.environ["TRACKER_HOME"]) / "schedule.env"
    assert lines[1].startswith(f"*/10 * * * * set -a && . {env_file} && set +a && "
                               f"exec {sys.executable} -m tracker collect --quiet --account-dir /acc #")
    assert "TRACKER_DB='" in env_file.read_text() and env_file.stat().st_mode & 0o777 == 0o600
    assert lines[1].endswith("# installed by codex-usage-tracker")
    run("schedule", "install", "--scheduler", "cron", "--every", "5m")  # reinstall replaces, never duplicates
    assert len(crontab.read_text().splitlines()) == 2
    status = run("schedule", "status", "--scheduler", "cron")
    assert "cron: installed" in status.stdout and "last collection: never" in status.stdout
    assert "removed 1 line(s)" in run("schedule", "remove", "--scheduler", "cron").stdout
    assert crontab.read_text() == "0 3 * * * /usr/bin/backup\n"
    assert run("schedule", "remove", "--scheduler", "cron").stdout == "nothing to remove\n"


def test_systemd_timer(fake_tools):
    result = run("schedule", "install", "--scheduler", "systemd", "--every", "5m")
    assert result.exit_code == 0, result.output
    unit_dir = fake_tools / "config/systemd/user"
    timer = (unit_dir / "codex-usage-tracker.timer").read_text()
    service = (unit_dir / "codex-usage-tracker.service").read_text()
    assert "OnCalendar=*:0/5" in timer and "Persistent=true" in timer
    assert f"ExecStart={sys.executable} -m tracker collect --quiet\n" in service
    assert f"EnvironmentFile={Path(os.environ['TRACKER_HOME']) / 'schedule.env'}" in service
    calls = (fake_tools / "calls.log").read_text().splitlines()
    assert calls == ["systemctl --user daemon-reload", "systemctl --user enable --now codex-usage-tracker.timer"]
    (unit_dir / "unrelated.timer").write_text("[Timer]\n")
    run("schedule", "remove", "--scheduler", "systemd")
    assert sorted(p.name for p in unit_dir.iterdir()) == ["unrelated.timer"]
    assert "systemctl --user disable --now codex-usage-tracker.timer" in (fake_tools / "calls.log").read_text()


def test_launchd_agent_and_odd_intervals(fake_tools, isolated_env):
    assert run("schedule", "install", "--scheduler", "launchd", "--every", "7m").exit_code == 0
    plist = isolated_env / "Library/LaunchAgents/com.codex-usage-tracker.collect.plist"
    assert "<integer>420</integer>" in plist.read_text()
    run("schedule", "remove", "--scheduler", "launchd")
    assert not plist.exists()
    result = run("schedule", "install", "--scheduler", "cron", "--every", "7m")
    assert result.exit_code == 2 and "divisor of 60" in result.stderr


def test_print_changes_nothing(fake_tools):
    result = run("schedule", "install", "--print", "--scheduler", "systemd")
    assert "OnCalendar=*:0/5" in result.stdout
    assert not (fake_tools / "config").exists() and not (fake_tools / "calls.log").exists()


def test_rejects_options_collect_does_not_know(fake_tools):
    result = run("schedule", "install", "--scheduler", "cron", "--bogus")
    assert result.exit_code == 2 and "not a collect option" in result.stderr
    assert not (fake_tools / "crontab.txt").exists()


def test_status_reports_the_last_collection(fake_tools, tmp_path):
    from datetime import UTC, datetime, timedelta

    from tracker.records import SnapshotRecord, Usage
    from tracker.storage.store import Store

    db = tmp_path / "s.db"
    store = Store.open(f"sqlite:///{db}")
    store.add_snapshots([SnapshotRecord("a", datetime.now(UTC) - timedelta(minutes=12), "api", Usage())])
    store.close()
    out = run("schedule", "status", "--scheduler", "cron", "--db", str(db)).stdout
    assert "(12m ago)" in out
