"""Fifth adversarial pass (session of 2026-12-04), on what this session added: token counts of
session logs priced by `tracker limits`, the config file, reset credits, `tracker watch`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.fixtures import HIST_T0, rate_line, run, sqlite_rows, write_log

WEEK_RESET = HIST_T0 + timedelta(days=5)


@pytest.mark.parametrize("bad", ["NaN", "-5", "1e308", "Infinity", '"1200"'])
def test_one_garbled_cumulative_count_never_counts_the_whole_session_again(tmp_path, bad):
    # 20 lines, 1,000 input tokens each; line 10's total input is garbage. Read as 0, it made the
    # next line's difference the session's whole count again (x18 the price in `tracker limits`)
    lines = [rate_line(HIST_T0 + timedelta(minutes=5 * i), None, (float(i), WEEK_RESET),
                       total=(1000 * (i + 1), 0, 100 * (i + 1), 0), last=(1000, 0, 100, 0)) for i in range(20)]
    lines[10] = lines[10].replace('"input_tokens": 11000', f'"input_tokens": {bad}', 1)
    assert bad in lines[10]
    home = tmp_path / ".codex"
    write_log(home / "sessions/2026/11/09/rollout-a.jsonl", lines)
    db = tmp_path / "t.db"
    result = run("import-sessions", "--codex-home", f"me={home}", "--db", db)
    assert result.exit_code == 0, result.output
    [(rows, input_tokens, output_tokens)] = sqlite_rows(db, "SELECT count(*), sum(input_tokens), sum(output_tokens) FROM snapshots")
    assert rows == 20
    assert 20_000 <= input_tokens <= 21_000, input_tokens  # was 31,000: line 11 counted 11,000
    assert 2_000 <= output_tokens <= 2_100
    assert sqlite_rows(db, "SELECT total_input_tokens FROM snapshots ORDER BY collected_at DESC LIMIT 1") == [(20000,)]


@pytest.mark.parametrize("tz", ["UTC+24", "UTC-24:59:59"])
def test_a_posix_tz_a_day_or_more_from_utc_is_utc_not_an_internal_error(tmp_path, tz):
    # glibc takes offsets up to 24:59:59, Python's timezone only under 24 h: every command with
    # --tz (report, watch, limits, chart, backtest, resets, history) was exit 5 "internal error"
    db = tmp_path / "d.db"
    assert run("demo", "--db", db, "--accounts", "1", "--span", "8d", "-o", tmp_path / "d.png").exit_code == 0
    env = {**os.environ, "TZ": tz}
    for args in (["report", "--json"], ["limits"], ["status"]):
        done = subprocess.run([sys.executable, "-m", "tracker", *args, "--db", str(db)], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "internal error" not in done.stderr, (args, done.returncode, done.stderr)
    watch = subprocess.run([sys.executable, "-m", "tracker", "watch", "--db", str(db)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert watch.returncode == 0 and " UTC" in watch.stdout.splitlines()[0], watch.stderr  # shown in UTC, said so


@pytest.mark.parametrize("kind", ["fifo", "device", "huge"])
def test_a_config_file_that_is_a_fifo_a_device_or_huge_is_one_line_not_a_hang(tmp_path, kind):
    # a FIFO with no writer and /dev/zero were read to the end: the command hung (killed at 10 s)
    path = {"fifo": tmp_path / "config.toml", "device": "/dev/zero", "huge": tmp_path / "config.toml"}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "huge":
        path.write_text('database = "' + "a" * (2 << 20) + '"\n')
    env = {**os.environ, "TRACKER_CONFIG": str(path)}
    done = subprocess.run([sys.executable, "-m", "tracker", "status"], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 4 and done.stderr.count("\n") == 1, (done.returncode, done.stderr)
    assert "cannot read the config file" in done.stderr


@pytest.mark.parametrize("database", ["a\\u0000b", "a" * 5000])
def test_a_config_database_with_a_nul_or_too_long_is_refused_with_its_line(tmp_path, database):
    # status's fast path took it to realpath: a traceback ("embedded null byte"), or exit 5
    path = tmp_path / "config.toml"
    path.write_text(f'\ndatabase = "{database}"\n')
    env = {**os.environ, "TRACKER_CONFIG": str(path)}
    done = subprocess.run([sys.executable, "-m", "tracker", "status"], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 4 and "Traceback" not in done.stderr, (done.returncode, done.stderr)
    assert f"{path}, line 2: database must be" in done.stderr
