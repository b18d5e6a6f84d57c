"""Notifications under hostile conditions (issue 22, items 1-4): episodes scoped to what a run
evaluated, one deadline per run, bounded webhook answers, markup and URL secrets kept out."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug import Response

from tests.fixtures import NOW, USAGE_PATH, run, usage_body, write_auth

AT = (datetime.fromtimestamp(NOW, UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def two_low(tmp_path, httpserver):
    """Two accounts, both with 5 % left of their five-hour window, and a webhook that records."""
    for name in ("work", "home"):
        write_auth(tmp_path / "accounts" / f"{name}.auth.json", name)
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body(five_used=95))
    posts: list[dict] = []
    httpserver.expect_request("/hook", method="POST").respond_with_handler(
        lambda request: posts.append(request.get_json()) or Response("ok"))
    db = tmp_path / "t.db"
    assert run("collect", "--account-dir", tmp_path / "accounts", "--url", httpserver.url_for(USAGE_PATH),
               "--db", db, "-q", "--at", AT).exit_code == 0
    return {"db": db, "hook": httpserver.url_for("/hook"), "posts": posts}


def test_runs_over_other_accounts_or_rules_do_not_end_an_episode(two_low):
    db, hook = two_low["db"], two_low["hook"]
    for _ in range(4):  # two cron lines, alternating, each for one account
        for name in ("work", "home"):
            assert run("notify", name, "--db", db, "--webhook", hook, "--at", AT).exit_code == 0
    assert sorted(p["account"] for p in two_low["posts"]) == ["home", "work"]  # once each, not 8 posts
    # a line with another rule set (stale only) ends no "below" episode, and is no reason to resend
    assert run("notify", "work", "--db", db, "--webhook", hook, "--stale", "1000d", "--at", AT).exit_code == 0
    assert run("notify", "--db", db, "--webhook", hook, "--at", AT).exit_code == 0
    assert len(two_low["posts"]) == 2


class _Silent:
    """A server that accepts connections and then drips one header byte a second, or nothing."""

    def __init__(self, drip: bool) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.stop, self.drip, self.conns = threading.Event(), drip, []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(conn)
            if self.drip:
                threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn) -> None:
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not self.stop.wait(0.2):
                conn.sendall(b"X")
        except OSError:
            pass

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def close(self) -> None:
        self.stop.set()
        for conn in self.conns:
            conn.close()
        self.sock.close()


@pytest.mark.parametrize("drip", [False, True])
def test_a_webhook_that_never_answers_cannot_hold_the_run(two_low, drip):
    server = _Silent(drip)
    try:
        started = time.monotonic()
        result = run("notify", "--db", two_low["db"], "--webhook", server.url, "--deadline", "1s", "--at", AT)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert result.exit_code == 6, result.output
    assert elapsed < 5  # the deadline, not 2 x 10 s per notice one after another (or forever)
    assert "deadline" in result.stderr or "failed" in result.stderr
    # nothing was marked sent: the next run, with a working webhook, delivers both
    assert run("notify", "--db", two_low["db"], "--webhook", two_low["hook"], "--at", AT).exit_code == 0
    assert len(two_low["posts"]) == 2


def test_an_exec_hook_is_killed_at_the_deadline(two_low, tmp_path):
    marker = tmp_path / "finished"
    started = time.monotonic()
    result = run("notify", "--db", two_low["db"], "--exec", f"sleep 30; touch {marker}", "--deadline", "1s",
                 "--at", AT)
    assert result.exit_code == 6 and time.monotonic() - started < 5
    assert not marker.exists()


def test_a_webhook_answer_is_read_to_a_bound(two_low, httpserver):
    def endless(_request):
        def body():
            chunk = b"x" * 65536
            for _ in range(100_000):  # 6.5 GB if read whole
                yield chunk
        return Response(body(), status=200, headers={"Content-Length": str(65536 * 100_000)},
                        direct_passthrough=True)

    httpserver.expect_request("/big", method="POST").respond_with_handler(endless)
    result = run("notify", "--db", two_low["db"], "--webhook", httpserver.url_for("/big"), "--deadline", "10s",
                 "--at", AT)
    assert result.exit_code == 0, result.output  # delivered: read 64 KiB of the answer, then closed


def test_desktop_markup_is_text_and_webhook_secrets_are_masked(tmp_path, monkeypatch):
    import os

    from tracker.notify.channels import desktop_channel
    from tracker.notify.rules import Key, Notice

    bin_dir, log = tmp_path / "bin", tmp_path / "desktop.log"
    bin_dir.mkdir()
    (bin_dir / "notify-send").write_text(f'#!/bin/sh\nprintf "%s\\n" "$4" >> {log}\n')
    (bin_dir / "notify-send").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    notice = Notice(Key("work", "<b>Spark</b> & co", "five_hour", "below"), "Codex work: <b>Spark</b> & co low")
    assert desktop_channel("linux").deliver(notice, 5.0) is None
    assert log.read_text() == "Codex work: &lt;b&gt;Spark&lt;/b&gt; &amp; co low\n"

    result = run("notify", "--db", tmp_path / "t.db", "--webhook", "ftp://hooks.example/x?token=SECRETVALUE123",
                 "--dry-run")
    assert result.exit_code == 4 and "SECRETVALUE123" not in result.output + result.stderr
    assert "hooks.example" in result.stderr
