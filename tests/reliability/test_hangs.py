"""Nothing hangs: a FIFO among auth files or session logs is skipped, and ``--timeout`` bounds
connect, headers and body together."""

from __future__ import annotations

import json
import os
import socket
import threading
import time

import pytest

from tests.fixtures import (
    base_env,
    run,
    session_line,
    tracker_process,
    usage_body,
    write_auth,
    write_log,
)


def finished(args, env, timeout=60):
    """Run the entry point; a process still blocked after ``timeout`` fails the test (and is killed)."""
    proc = tracker_process(args, env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except Exception:
        proc.kill()
        proc.communicate()
        pytest.fail(f"tracker {' '.join(args)} was still blocked after {timeout}s")
    return proc.returncode, out, err


def test_a_fifo_among_the_auth_files_is_skipped(tmp_path, httpserver, usage_url):
    accounts = tmp_path / "acc"
    write_auth(accounts / "good.auth.json", "good")
    os.mkfifo(accounts / "fifo.auth.json")
    os.mkfifo(tmp_path / "named-fifo.json")
    httpserver.expect_request("/backend-api/wham/usage").respond_with_json(usage_body())
    env = base_env(tmp_path / "f.db", accounts, usage_url)
    code, out, err = finished(["collect", "--json", "--auth", f"other={tmp_path / 'named-fifo.json'}",
                               "--account-dir", str(accounts)], env)
    statuses = {r["account"]: (r["status"], r["error"]) for r in json.loads(out)}
    assert code == 1 and statuses["good"][0] == "ok"
    for name in ("fifo", "other"):
        assert statuses[name][0] == "auth_error" and "not a regular file" in statuses[name][1]


def test_a_fifo_among_the_session_logs_is_skipped(tmp_path):
    home = tmp_path / ".codex"
    write_log(home / "sessions/2026/11/16/rollout-a.jsonl", [session_line(1), session_line(2)])
    os.mkfifo(home / "sessions/2026/11/16/rollout-b.jsonl")
    env = {**os.environ, "TRACKER_DB": str(tmp_path / "s.db"), "CODEX_HOME": str(home)}
    code, out, err = finished(["import-sessions", "--json"], env)
    summary = json.loads(out)
    assert code == 0, err
    assert summary["imported"] == 2 and summary["skipped"] == {"not_a_regular_file": 1}


@pytest.fixture
def header_drip():
    """A server that sends the status line, then one header line every 0.2 s for 30 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\n")
                    for i in range(150):
                        if stop.wait(0.2):  # the hostile server's pace, not a timing check
                            break
                        conn.sendall(f"X-Drip-{i}: x\r\n".encode())
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/backend-api/wham/usage"
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_timeout_bounds_the_header_phase_too(tmp_path, header_drip):
    write_auth(tmp_path / "acc" / "x.auth.json", "x")
    started = time.monotonic()
    result = run("collect", "--account-dir", tmp_path / "acc", "--url", header_drip, "--db", tmp_path / "d.db",
                 "--timeout", "2", "--retries", "0", "--json")
    elapsed = time.monotonic() - started
    row = json.loads(result.stdout)[0]
    assert row["status"] == "network_error" and "within 2s" in row["error"]
    assert elapsed < 12, f"collect --timeout 2 took {elapsed:.1f}s"
