"""``tracker serve``: the bind rules, the token rules, the missing extra, and the real process."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys

import pytest
import requests
from click.testing import CliRunner

from tests.fixtures import SECRETS
from tracker.cli.root import cli
from tracker.web import security
from tracker.web.server import ServeOptions, build

TOKEN = "cli-TOKEN-abcdefghijklmnop"
SECRETS.add(TOKEN)  # the end-of-suite sweep fails the run if it shows up in any output or file


def run(*args, **kwargs):
    return CliRunner().invoke(cli, ["serve", *args], **kwargs)


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("LOCALHOST", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("example.com", False),
    ("localhost.example.com", False),
])
def test_is_loopback(host, loopback):
    assert security.is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "my-laptop.local"])
def test_a_non_loopback_host_is_refused_without_allow_remote(host, shared_demo_url):
    result = run("--host", host, "--db", shared_demo_url, env={"TRACKER_SERVE_TOKEN": TOKEN})
    assert result.exit_code == 2
    assert result.stderr.startswith(f"tracker: refusing to listen on {host}, which is not loopback")
    assert TOKEN not in result.output


def test_allow_remote_needs_a_token(shared_demo_url):
    result = run("--host", "0.0.0.0", "--allow-remote", "--db", shared_demo_url)
    assert result.exit_code == 2
    assert "--allow-remote on 0.0.0.0 needs a token: --token or TRACKER_SERVE_TOKEN" in result.stderr


def test_a_short_token_is_refused_without_being_shown(shared_demo_url):
    result = run("--token", "hunter2-secret", "--db", shared_demo_url)
    assert result.exit_code == 2
    assert "the token must be at least 16 characters" in result.stderr and "hunter2" not in result.output


def test_remote_with_a_token_answers_any_host_but_checks_the_token(shared_demo_url, web_extra):
    store, app = build(ServeOptions(db_url=shared_demo_url, host="0.0.0.0", allow_remote=True, token=TOKEN))
    try:
        assert app.settings.allowed_hosts is None and app.settings.token == TOKEN
    finally:
        store.close()
    store, app = build(ServeOptions(db_url=shared_demo_url))
    try:
        assert app.settings.allowed_hosts == security.LOOPBACK_HOSTS and app.settings.token is None
    finally:
        store.close()


@pytest.mark.parametrize(("header", "token"), [
    (None, None), ("", None), (f"Bearer {TOKEN}", TOKEN), (f"bearer   {TOKEN} ", TOKEN),
    ("Basic " + base64.b64encode(f"anyone:{TOKEN}".encode()).decode(), TOKEN),
    ("Basic " + base64.b64encode(b"no-colon").decode(), ""), ("Basic ***", None), ("Digest x=1", None),
    (TOKEN, None),
])
def test_presented_token(header, token):
    assert security.presented_token(header) == token
    assert security.token_matches(header, TOKEN) is (token == TOKEN)


@pytest.mark.parametrize(("host", "allowed"), [
    ("127.0.0.1:8765", True), ("localhost", True), ("[::1]:8765", True), ("LocalHost:1", True),
    ("evil.example:8765", False), ("127.0.0.1.evil.example", False), ("", False), (None, False),
])
def test_host_allowed_on_loopback(host, allowed):
    assert security.host_allowed(host, security.LOOPBACK_HOSTS) is allowed
    assert security.host_allowed(host, None) is True


def test_without_the_web_extra_it_says_how_to_install(monkeypatch, shared_demo_url):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now raises ImportError
    result = run("--db", shared_demo_url)
    assert result.exit_code == 1
    assert result.stderr == "tracker: tracker serve needs the web extra: pip install 'codex-quota-history[web]'\n"


def test_a_missing_database_is_refused_and_not_created(tmp_path, web_extra):
    path = tmp_path / "typo.db"
    result = run("--db", str(path))
    assert result.exit_code == 1 and "no database at" in result.stderr
    assert not path.exists()


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_real_process_serves_until_stopped(shared_demo_url, stop, web_extra):
    env = {**os.environ, "TRACKER_SERVE_TOKEN": TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "serve", "--db", shared_demo_url, "--port", "0"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()  # printed once the socket is bound
        assert line.startswith("dashboard at http://127.0.0.1:"), line
        url = line.split()[2]
        assert requests.get(url + "api/healthz", timeout=10).status_code == 401
        response = requests.get(url + "api/report", timeout=10, headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200 and len(response.json()["accounts"]) == 3
        proc.send_signal(stop)
        assert proc.wait(timeout=20) == 0
        rest = proc.stderr.read() + proc.stdout.read()
        assert TOKEN not in line + rest and "Traceback" not in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
