"""The config file (XDG_CONFIG_HOME/codex-usage-tracker/config.toml, real files in tmp_path): a flag
wins over its TRACKER_* variable, which wins over the file, which wins over the default; a bad entry
is one line naming the file and the line (exit 4); a secret in a file others may read is refused;
the status fast path reads the file's database and zone; schedules read the same file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.fixtures import T0, USAGE_PATH, H, body, iso, one_line_error, run, write_auth


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    """Write config.toml where the tracker looks for it (mode 0600 unless told), return its path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "xdg" / "codex-usage-tracker" / "config.toml"

    def write(text: str, mode: int = 0o600):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
        return path

    return write


def test_config_path_is_in_the_user_config_dir_or_tracker_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert run("config", "path").stdout == f"{tmp_path}/xdg/codex-usage-tracker/config.toml\n"
    monkeypatch.setenv("TRACKER_CONFIG", str(tmp_path / "other.toml"))
    assert run("config", "path").stdout == f"{tmp_path}/other.toml\n"


def test_without_a_file_nothing_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nothing"))
    out = run("config", "show")
    assert out.exit_code == 0 and "(none yet)" in out.stdout and "config, line" not in out.stdout


def test_the_database_flag_then_env_then_file_then_default(config_file, tmp_path, monkeypatch):
    default = run("db", "path").stdout.strip()
    config_file(f'database = "{tmp_path}/from-file.db"\n')
    assert run("db", "path").stdout.strip() == f"{tmp_path}/from-file.db"
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "from-env.db"))
    assert run("db", "path").stdout.strip() == f"{tmp_path}/from-env.db"
    assert run("db", "path", "--db", tmp_path / "from-flag.db").stdout.strip() == f"{tmp_path}/from-flag.db"
    config_file('database = "relative.db"\n')  # relative to the file's directory, not to where you stand
    monkeypatch.delenv("TRACKER_DB")
    assert run("db", "path").stdout.strip() == f"{tmp_path}/xdg/codex-usage-tracker/relative.db"
    config_file("")
    assert run("db", "path").stdout.strip() == default


@pytest.fixture
def low_history(httpserver, usage_url, tmp_path):
    """One account, 12 % left of its five-hour window, stored at T0."""
    write_auth(tmp_path / "accounts" / "work.auth.json", "work")
    httpserver.expect_request(USAGE_PATH).respond_with_json(body(88, 20))
    db = tmp_path / "t.db"
    assert run("collect", "--account-dir", tmp_path / "accounts", "--url", usage_url, "--db", db, "--at", iso(T0),
               "-q").exit_code == 0
    return db


def test_a_rule_flag_then_env_then_file_then_default(config_file, low_history, monkeypatch):
    """12 % left: --below 10 (the default) is quiet, 15 notifies."""
    def notifies(*args):
        out = run("notify", "--db", low_history, "--dry-run", "--at", iso(T0), *args)
        assert out.exit_code == 0, out.stderr
        return "would send" in out.stdout

    assert not notifies()
    config_file("[notify]\nbelow = 15\n")
    assert notifies()
    monkeypatch.setenv("TRACKER_NOTIFY_BELOW", "5")
    assert not notifies()
    assert notifies("--below", "20")


def test_accounts_from_the_file_unless_named(config_file, httpserver, usage_url, tmp_path, monkeypatch):
    for name in ("filed", "envd", "flagged"):
        write_auth(tmp_path / name / f"{name}.auth.json", name)
    write_auth(tmp_path / "home-a" / "auth.json", "home")
    httpserver.expect_request(USAGE_PATH).respond_with_json(body(10, 20))
    config_file(f'[accounts]\naccount_dirs = "{tmp_path}/filed"\ncodex_homes = {{ alpha = "{tmp_path}/home-a" }}\n')

    def collected(*args):
        out = run("collect", "--url", usage_url, "--db", tmp_path / "t.db", "--json", *args)
        assert out.exit_code == 0, out.stderr
        return sorted(r["account"] for r in json.loads(out.stdout))

    assert collected() == ["alpha", "filed"]
    monkeypatch.setenv("TRACKER_ACCOUNT_DIR", str(tmp_path / "envd"))
    assert collected() == ["envd"]  # the variable names the accounts: none of the file's
    assert collected("--account-dir", tmp_path / "flagged") == ["flagged"]


def test_watch_collects_the_file_s_accounts(config_file, httpserver, usage_url, tmp_path):
    write_auth(tmp_path / "filed" / "filed.auth.json", "filed")
    httpserver.expect_request(USAGE_PATH).respond_with_json(body(25, 60))
    config_file(f'[accounts]\naccount_dirs = "{tmp_path}/filed"\n')
    result = run("watch", "--collect", "5m", "--url", usage_url, "--db", tmp_path / "w.db", "--at", iso(T0),
                 "--tz", "UTC")
    assert result.exit_code == 0, result.stderr
    assert "1 ok" in result.stdout and "filed" in result.stdout


@pytest.mark.parametrize("text,line,words", [
    ('database = "x.db"\ntime_zone = Europe/Paris\n', 2, "not valid TOML"),
    ('database = "x.db"\n\n[notify]\nbelow = "lots"\n', 4, "notify.below must be a number from 0 to 100"),
    ('time_zone = "UTC"\nstale_afer = "30m"\n', 2, "unknown key 'stale_afer'"),
    ('[accounts]\naccount_dir = "~/a"\n', 2, "unknown key 'account_dir' in [accounts]"),
    ('stale_after = "30m"\ntime_zone = "Mars/Olympus_Mons"\n', 2, "time_zone: unknown time zone 'Mars/Olympus_Mons'"),
    ('[notify]\ndesktop = true\nstale = "45"\n', 3, "notify.stale: '45' has no unit"),
    ('[notify]\ndeadline = "10ms"\n', 2, "'10ms'"),
])
def test_a_bad_entry_is_one_line_with_the_file_and_its_line(config_file, text, line, words):
    path = config_file(text)
    out = run("notify", "--dry-run")
    one_line_error(out, 4, f"{path}, line {line}: ")
    assert words in out.stderr
    assert run("config", "path").exit_code == 0  # finding the file to fix it always works


def test_a_secret_in_a_file_others_may_read_is_refused(config_file, low_history, tmp_path):
    path = config_file('[notify]\nwebhooks = ["https://hooks.example.com/services/T0/B0/secret-token-1"]\n', 0o644)
    one_line_error(run("notify", "--db", low_history, "--dry-run"), 4, f"{path} holds a secret (notify.webhooks)")
    assert f"chmod 600 {path}" in run("config", "show").stderr
    config_file('database = "postgresql://me:hunter2@db.example/x"\n', 0o640)
    one_line_error(run("config", "show"), 4, "holds a secret (database)")
    config_file('database = "postgresql://me:hunter2@db.example/x"\n', 0o600)
    shown = run("config", "show").stdout
    assert "hunter2" not in shown and "me:***@db.example" in shown
    config_file('[notify]\nwebhooks = ["https://hooks.example.com/services/T0/B0/secret-token-1"]\n', 0o600)
    shown = run("config", "show").stdout
    assert "secret-token-1" not in shown and "https://hooks.example.com/…" in shown
    config_file('[notify]\ndesktop = true\nbelow = 20\n', 0o644)  # no secret: any mode
    assert run("notify", "--db", low_history, "--dry-run", "--at", iso(T0)).exit_code == 0


FAST = ("import sys; from tracker.cli.entry import main; sys.argv = ['tracker', *sys.argv[1:]]; main(); "
        "assert 'click' not in sys.modules, 'slow path'")


def test_the_status_fast_path_reads_the_file_s_database_and_zone(config_file, low_history, tmp_path):
    config_file(f'database = "{low_history}"\ntime_zone = "Asia/Tokyo"\nstale_after = "45m"\n')
    at = iso(T0 + timedelta(minutes=40))
    full = run("status", "--at", at)  # no --db, no --tz: the file's; writes the state file
    assert full.exit_code == 0 and "work 5h 12%" in full.stdout and "stale" not in full.stdout
    assert full.stdout == run("status", "--at", at, "--db", low_history, "--tz", "Asia/Tokyo",
                              "--stale-after", "45m").stdout
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    done = subprocess.run([sys.executable, "-c", FAST, "status", "--at", at], capture_output=True, text=True,
                          env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout == full.stdout
    later = iso(T0 + timedelta(minutes=50))  # past the file's stale_after: both paths say stale
    assert "stale" in run("status", "--at", later).stdout


def test_a_refused_file_is_refused_by_the_fast_path_too(config_file, low_history):
    run("status", "--db", low_history)  # the state file exists
    config_file(f'database = "{low_history}"\n[notify]\nwebhooks = ["https://h.example/secret-token-2"]\n', 0o604)
    done = subprocess.run([sys.executable, "-m", "tracker", "status"], capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if k != "TRACKER_DB"})
    assert done.returncode == 4 and "chmod 600" in done.stderr and done.stdout == ""


def test_collect_notifies_after_collecting_only_when_told(config_file, httpserver, usage_url, tmp_path):
    write_auth(tmp_path / "accounts" / "work.auth.json", "work")
    httpserver.expect_request(USAGE_PATH).respond_with_json(body(95, 20))
    marker = tmp_path / "sent"
    text = f'[accounts]\naccount_dirs = "{tmp_path}/accounts"\n[notify]\nexec = "touch {marker}"\n'
    config_file(text)
    assert run("collect", "--url", usage_url, "--db", tmp_path / "t.db", "-q", "--at", iso(T0)).exit_code == 0
    assert not marker.exists()  # a channel in the file is not a reason to notify
    config_file(text + "after_collect = true\n")
    assert run("collect", "--url", usage_url, "--db", tmp_path / "t.db", "-q", "--at", iso(T0 + H)).exit_code == 0
    assert marker.exists()


def test_schedule_install_pins_the_config_file(config_file, tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_HOME")
    monkeypatch.setenv("TRACKER_HOME", str(tmp_path / "data"))
    path = config_file(f'database = "{tmp_path}/filed.db"\n')
    plan = run("schedule", "install", "--print", "--scheduler", "cron").stdout
    assert f"TRACKER_CONFIG='{path}'" in plan and "TRACKER_DB=" not in plan
    config_file("")
    plan = run("schedule", "install", "--print", "--scheduler", "cron").stdout
    assert f"TRACKER_CONFIG='{path}'" in plan and "TRACKER_DB=" in plan


def test_completion_with_a_broken_file_completes_quietly(config_file, low_history, monkeypatch):
    config_file('time_zone = "Mars/Olympus_Mons"\n')
    monkeypatch.setenv("_TRACKER_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "tracker status --format ")
    monkeypatch.setenv("COMP_CWORD", "3")
    out = run("status", prog_name="tracker")
    assert out.exit_code == 0 and "waybar" in out.stdout and "Traceback" not in out.output
