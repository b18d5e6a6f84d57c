"""Shared pieces of the fault suite: a usage server for many accounts, the usage server and the process environment (builders in tests/fixtures.py)."""

from __future__ import annotations

import json
import os
import random
import threading
import time

import pytest
from werkzeug import Response

from tests.fixtures import USAGE_PATH, usage_body, write_auth


@pytest.fixture
def many_accounts(tmp_path):
    def make(count):
        directory = tmp_path / "accounts"
        for i in range(count):
            write_auth(directory / f"acct{i:02d}.auth.json", f"acct{i:02d}")
        return directory
    return make


@pytest.fixture
def latency_server(httpserver):
    """Answers every account with two windows after a random delay of up to ``max_delay`` seconds."""
    def start(max_delay=0.1, seed=1):
        rng = random.Random(seed)
        lock = threading.Lock()
        body = json.dumps(usage_body(30, 40, five_reset=4_000_000_000, weekly_reset=4_000_100_000))

        def handler(_request):
            with lock:
                delay = rng.uniform(0, max_delay)
            time.sleep(delay)  # simulated network latency, not a timing check
            return Response(body, content_type="application/json")

        httpserver.expect_request(USAGE_PATH).respond_with_handler(handler)
        return httpserver.url_for(USAGE_PATH)
    return start


@pytest.fixture
def fake_crontab(tmp_path, monkeypatch):
    """A crontab on PATH that keeps its table in a file, which already holds one line of the user's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "crontab"
    script.write_text('#!/bin/sh\nif [ "$1" = "-l" ]; then cat "$FAKE_CRONTAB" 2>/dev/null; exit 0; fi\n'
                      'cat > "$FAKE_CRONTAB"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_CRONTAB", str(tmp_path / "crontab.txt"))
    (tmp_path / "crontab.txt").write_text("0 3 * * * /usr/bin/backup\n")
    return tmp_path / "crontab.txt"
