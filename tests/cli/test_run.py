"""`tracker run -- COMMAND` on two real Codex homes with a stub command, and `tracker completion`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import run, store_url
from tracker.records import AccountInfo, SnapshotRecord, Usage, Window
from tracker.storage.store import Store

STUB = """
import os, signal, sys
signal.signal(signal.SIGTERM, lambda *a: sys.exit(43))
print(os.environ["CODEX_HOME"], flush=True)
line = sys.stdin.readline()
if line.strip() == "wait":
    print("ready", flush=True)
    sys.stdin.readline()
sys.exit(int(line) if line.strip().isdigit() else 0)
"""


def homes_db(tmp_path, used: dict[str, float]):
    """A database of accounts read from Codex homes (and one loose auth file), used as given."""
    db, now = tmp_path / "t.db", datetime.now(UTC)
    sources = {"work": tmp_path / ".codex-work" / "auth.json", "home": tmp_path / ".codex-home" / "auth.json",
               "loose": tmp_path / "accts" / "loose.auth.json"}
    for path in sources.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'{"tokens": "secret"}\n')
    with Store.open(store_url(db)) as store:
        for name, pct in used.items():
            store.add_snapshots([SnapshotRecord(name, now - timedelta(minutes=1), "api", Usage([
                Window("codex", "five_hour", 18000, pct, now + timedelta(hours=2))]))],
                {name: AccountInfo(name, source_path=str(sources[name]))})
    return db, sources


def tracker(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "tracker", *map(str, args)], capture_output=True, text=True,
                          timeout=60, **kwargs)


@pytest.mark.skipif(os.name != "posix", reason="exec and signals")
def test_run_starts_the_command_in_the_best_home_passes_stdin_exit_code_and_signals(tmp_path):
    db, sources = homes_db(tmp_path, {"work": 70.0, "home": 20.0, "loose": 1.0})
    before = {p: p.read_bytes() for p in sources.values()}
    stub = tmp_path / "stub.py"
    stub.write_text(STUB)
    done = tracker("run", "--db", db, "--", sys.executable, stub, input="7\n")
    assert done.returncode == 7, done.stderr
    assert done.stdout.strip() == str(tmp_path / ".codex-home")  # loose has more left but no home
    named = tracker("run", "--db", db, "--account", "work", "--", sys.executable, stub, input="0\n")
    assert (named.returncode, named.stdout.strip()) == (0, str(tmp_path / ".codex-work"))
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "run", "--db", str(db), "--", sys.executable,
                             str(stub)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    proc.stdin.write("wait\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == str(tmp_path / ".codex-home")
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)  # the same process: tracker was replaced by the command
    assert proc.wait(timeout=30) == 43
    proc.stdin.close()
    proc.stdout.close()
    assert {p: p.read_bytes() for p in sources.values()} == before
    assert sorted(p.name for p in tmp_path.rglob("*auth.json")) == ["auth.json", "auth.json", "loose.auth.json"]


def test_run_refuses_when_everything_is_used_up_and_says_when_it_resets(tmp_path):
    db, _ = homes_db(tmp_path, {"work": 100.0, "home": 100.0})
    result = run("run", "--db", db, "--", "false")
    assert result.exit_code == 75
    assert "not starting" in result.stderr and "first reset is at" in result.stderr


def test_run_dry_run_names_the_pick_and_why_and_explains_auth_file_accounts(tmp_path):
    db, _ = homes_db(tmp_path, {"work": 70.0, "home": 20.0, "loose": 1.0})
    dry = run("run", "--db", db, "--dry-run", "--", "codex")
    name, home, why = dry.stdout.strip().split("\t")
    assert (dry.exit_code, name, home) == (0, "home", f"CODEX_HOME={tmp_path / '.codex-home'}")
    assert "80% left" in why and "work 30%" in why
    loose = run("run", "--db", db, "--account", "loose", "--", "codex")
    assert loose.exit_code == 1 and "mkdir ~/.codex-loose" in loose.stderr and "--codex-home" in loose.stderr
    missing = run("run", "--db", db, "--", "no-such-command-xyz")
    assert missing.exit_code == 127 and "cannot start 'no-such-command-xyz'" in missing.stderr


@pytest.mark.parametrize(("shell", "needle"), [("bash", "complete -o nosort -F"), ("zsh", "#compdef tracker"),
                                               ("fish", "complete --no-files --command tracker")])
def test_completion_prints_clicks_script_for_each_shell(shell, needle):
    result = run("completion", shell)
    assert result.exit_code == 0 and needle in result.stdout and "_TRACKER_COMPLETE" in result.stdout


def test_completion_offers_the_stored_account_names(tmp_path):
    db, _ = homes_db(tmp_path, {"work": 70.0, "home": 20.0})
    env = {**os.environ, "_TRACKER_COMPLETE": "bash_complete", "COMP_WORDS": "tracker report w",
           "COMP_CWORD": "2", "TRACKER_DB": str(db)}
    out = subprocess.run([sys.executable, "-m", "tracker"], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["plain,work"]
