"""Auth files in every broken state at once: one line each, the good account still collected."""

from __future__ import annotations

import json
import os
import sqlite3

from click.testing import CliRunner

from tests.fixtures import CREDITS_PATH, USAGE_PATH, b64, usage_body, write_auth
from tracker.cli.root import cli


def test_hostile_auth_files(httpserver, tmp_path):
    accounts = tmp_path / "acc"
    write_auth(accounts / "good.auth.json", "good")
    (accounts / "empty.auth.json").write_bytes(b"")
    (accounts / "binary.auth.json").write_bytes(os.urandom(512))
    (accounts / "huge.auth.json").write_bytes(b'{"tokens": {"access_token": "' + b"a" * 3_000_000 + b'"}}')
    (accounts / "dirlink.auth.json").symlink_to(tmp_path)
    (accounts / "dangling.auth.json").symlink_to(tmp_path / "nowhere")
    (accounts / "loop.auth.json").symlink_to(accounts / "loop.auth.json")
    write_auth(accounts / "open.auth.json", "open")
    (accounts / "open.auth.json").chmod(0o644)
    write_auth(accounts / "oddjwt.auth.json", "oddjwt",
               tokens={"access_token": f"{b64(b'{}')}.{b64(b'not json at all')}.sig", "account_id": "acc-oddjwt"})
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    httpserver.expect_request(CREDITS_PATH).respond_with_json([])  # nothing banked: no warning about the list
    db = tmp_path / "f.db"
    result = CliRunner().invoke(cli, ["collect", "--account-dir", str(accounts), "--url", httpserver.url_for(USAGE_PATH),
                                      "--db", str(db), "--json"], catch_exceptions=False)
    assert "Traceback" not in result.stderr
    statuses = {r["account"]: r["status"] for r in json.loads(result.stdout)}
    assert statuses == {"good": "ok", "open": "ok", "oddjwt": "ok", "empty": "auth_error", "binary": "auth_error",
                        "huge": "auth_error", "dirlink": "auth_error", "dangling": "auth_error", "loop": "auth_error"}
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert sum(line.startswith("tracker: warning: ") and "chmod 600" in line for line in lines) == 1
    assert len(lines) == 7  # six broken files and one warning, one line each
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from snapshots").fetchone() == (3,)
