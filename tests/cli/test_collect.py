"""`tracker collect` end to end: auth files on disk, a real local server, a real SQLite file."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from tests.fixtures import CREDITS_PATH, NOW, USAGE_PATH, all_secrets, usage_body, write_auth
from tracker.cli.root import cli

AT = "2026-11-18T11:06:40Z"  # == NOW


def run(*args, env=None):
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result


def serve(httpserver, name, body=None, status=200, **kw):
    handler = httpserver.expect_request(USAGE_PATH, headers={"ChatGPT-Account-Id": f"acc-{name}"})
    if isinstance(body, (dict, list)):
        handler.respond_with_json(body, status=status, **kw)
    else:
        handler.respond_with_data(body or "", status=status, **kw)


@pytest.fixture
def accounts_dir(tmp_path):
    return tmp_path / "accounts"


def test_collects_every_account_and_stores_them(httpserver, usage_url, accounts_dir, db_path):
    write_auth(accounts_dir / "work.auth.json", "work")
    write_auth(accounts_dir / "home.auth.json", "home")
    serve(httpserver, "work", usage_body(58, 83))
    serve(httpserver, "home", usage_body(12, 40))
    result = run("collect", "--account-dir", str(accounts_dir), "--url", usage_url, "--db", str(db_path),
                 "--at", AT, "--tz", "UTC")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["account", "plan", "5h", "left%", "5h", "resets", "weekly", "left%", "weekly", "resets", "status"]
    # sorted by five-hour left, descending: home has 88 % left, work 42 %
    assert lines[1].split()[:3] == ["home", "plus", "88"]
    assert "in 2h 00m" in lines[1]
    assert lines[2].split()[:3] == ["work", "plus", "42"]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from snapshots").fetchone() == (2,)
        assert conn.execute("select count(*) from windows").fetchone() == (4,)
        # each weekly window's usual week is kept for the next report (too little history: none)
        assert conn.execute("select count(*), min(zone) from usual_weeks where rates is null").fetchone() == (2, "UTC")


def test_json_output(httpserver, usage_url, accounts_dir, db_path):
    write_auth(accounts_dir / "work.auth.json", "work")
    serve(httpserver, "work", usage_body(30, 17))
    result = run("collect", "--account-dir", str(accounts_dir), "--url", usage_url, "--db", str(db_path),
                 "--json", "--at", AT)
    assert result.exit_code == 0
    [entry] = json.loads(result.stdout)
    credits = entry.pop("reset_credits")  # this server has no credits list: unknown, collect still green
    assert (credits["state"], credits["credits"], credits["checked_at"]) == ("unknown", None, AT)
    assert [entry] == [{
        "account": "work", "status": "ok", "error": None, "http_status": 200, "plan": "plus",
        "windows": [
            {"limit": "codex", "kind": "five_hour", "window_seconds": 18000, "used_percent": 30.0,
             "remaining_percent": 70.0, "reset_at": "2026-11-18T13:06:40Z", "reported_percent": None},
            {"limit": "codex", "kind": "weekly", "window_seconds": 604800, "used_percent": 17.0,
             "remaining_percent": 83.0, "reset_at": "2026-11-23T02:13:20Z", "reported_percent": None},
        ],
    }]


def test_one_bad_account_never_stops_the_others(httpserver, usage_url, accounts_dir, db_path):
    """Every error class at once; each gives one stderr line, the good account is stored."""
    secrets = []
    for name in ("good", "gone", "denied", "broken", "html", "weird"):
        secrets += all_secrets(write_auth(accounts_dir / f"{name}.auth.json", name))
    secrets += all_secrets(write_auth(accounts_dir / "old.auth.json", "old", exp=NOW - 60))
    (accounts_dir / "garbage.auth.json").write_text("{not json")
    serve(httpserver, "good", usage_body())
    serve(httpserver, "gone", "Unauthorized", status=401)
    serve(httpserver, "denied", "Forbidden", status=403)
    serve(httpserver, "broken", "oops", status=500)
    serve(httpserver, "html", "<html>Log in</html>", content_type="text/html")
    serve(httpserver, "weird", {"something": {"new": 1}})
    httpserver.expect_request(CREDITS_PATH).respond_with_json([])  # the good account's list: nothing banked
    result = run("collect", "--account-dir", str(accounts_dir), "--url", usage_url, "--db", str(db_path),
                 "--json", "--retries", "0", "--at", AT)
    statuses = {r["account"]: r["status"] for r in json.loads(result.stdout)}
    assert statuses == {"good": "ok", "gone": "expired", "denied": "forbidden", "broken": "http_error",
                        "html": "unparsed", "weird": "unparsed", "old": "expired", "garbage": "auth_error"}
    assert result.exit_code == 3
    errors = result.stderr.splitlines()
    assert len(errors) == 7
    assert any(line.startswith("tracker: old: expired: access token expired") and "no request sent" in line for line in errors)
    assert any(line.startswith("tracker: gone: expired: HTTP 401") and "codex login" in line for line in errors)
    assert not any(r.headers.get("ChatGPT-Account-Id") == "acc-old" for r, _ in httpserver.log)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from snapshots").fetchone() == (1,)
        kinds = sorted(k for (k,) in conn.execute("select kind from failures"))
        assert kinds == ["auth_error", "expired", "expired", "forbidden", "http_error", "unparsed", "unparsed"]
        # the unknown shape is kept raw, so nothing is lost
        raws = [r for (r,) in conn.execute("select raw from failures where kind='unparsed'")]
        from tracker.storage.codec import unpack_body
        bodies = [unpack_body(r) for r in raws]
        assert any(b.startswith(b"{") and json.loads(b) == {"something": {"new": 1}} for b in bodies)
    everything = db_path.read_bytes() + result.stdout.encode() + result.stderr.encode()
    for wal in db_path.parent.glob("*.db-wal"):
        everything += wal.read_bytes()
    for secret in secrets:
        assert secret.encode() not in everything


@pytest.mark.parametrize("setup,code", [
    ({"old": NOW - 5}, 1),
    ({"net": None}, 2),
])
def test_exit_codes(httpserver, usage_url, accounts_dir, db_path, setup, code):
    name, exp = next(iter(setup.items()))
    write_auth(accounts_dir / f"{name}.auth.json", name, exp=exp or NOW + 100)
    url = usage_url if exp else "http://127.0.0.1:9/backend-api/wham/usage"
    result = run("collect", "--account-dir", str(accounts_dir), "--url", url, "--db", str(db_path),
                 "--retries", "0", "--at", AT, "--quiet")
    assert result.exit_code == code
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1


def test_refuses_plain_http_to_another_host(accounts_dir, db_path):
    write_auth(accounts_dir / "w.auth.json", "w")
    result = run("collect", "--account-dir", str(accounts_dir), "--url", "http://example.com/u", "--db", str(db_path))
    assert result.exit_code == 4
    assert "refusing to send a token over plain http" in result.stderr


def test_no_account_found(db_path):
    result = run("collect", "--db", str(db_path))
    assert result.exit_code == 1
    assert "no Codex account found" in result.stderr and "auth.json" in result.stderr


def test_default_codex_home_and_env_account_dir(httpserver, usage_url, isolated_env, accounts_dir, db_path):
    write_auth(isolated_env / ".codex" / "auth.json", "me")
    serve(httpserver, "me", usage_body())
    result = run("collect", "--url", usage_url, "--db", str(db_path), "--json", "--at", AT)
    assert [r["account"] for r in json.loads(result.stdout)] == ["default"]
    write_auth(accounts_dir / "envacct.auth.json", "envacct")
    serve(httpserver, "envacct", usage_body())
    result = run("collect", "--json", "--at", AT, env={"TRACKER_ACCOUNT_DIR": str(accounts_dir),
                                                     "TRACKER_USAGE_URL": usage_url, "TRACKER_DB": str(db_path)})
    assert [r["account"] for r in json.loads(result.stdout)] == ["envacct"]


def test_raw_json_and_headers_hide_secrets(httpserver, usage_url, accounts_dir, db_path):
    tokens = write_auth(accounts_dir / "w.auth.json", "w")
    body = usage_body()
    body["echo"] = tokens["access_token"]
    serve(httpserver, "w", body, headers={"Set-Cookie": "__Secure-next-auth=xyz"})
    result = run("collect", "--account-dir", str(accounts_dir), "--url", usage_url, "--db", str(db_path),
                 "--raw-json", "--raw-headers")
    assert result.exit_code == 0
    assert '"plan_type": "plus"' in result.stdout
    assert "Set-Cookie: [REDACTED]" in result.stdout
    assert tokens["access_token"] not in result.stdout
    assert tokens["access_token"].encode() not in db_path.read_bytes()


def test_history_lists_snapshots_and_errors(httpserver, usage_url, accounts_dir, db_path):
    write_auth(accounts_dir / "w.auth.json", "w")
    write_auth(accounts_dir / "x.auth.json", "x", exp=NOW - 100_000)
    serve(httpserver, "w", usage_body(10, 20))
    base = ["--account-dir", str(accounts_dir), "--url", usage_url, "--db", str(db_path)]
    run("collect", *base, "--at", "2026-11-18T08:00:00Z", "-q")
    run("collect", *base, "--at", "2026-11-18T08:05:00Z", "-q")
    rows = json.loads(run("history", "--db", str(db_path), "--format", "json").stdout)
    assert [(r["collected_at"], r["kind"]) for r in rows] == [
        ("2026-11-18T08:00:00Z", "five_hour"), ("2026-11-18T08:00:00Z", "weekly"),
        ("2026-11-18T08:05:00Z", "five_hour"), ("2026-11-18T08:05:00Z", "weekly"),
    ]
    assert set(rows[0]) >= {"snapshot_id", "account", "collected_at", "source", "limit", "kind",
                            "window_seconds", "used_percent", "remaining_percent", "reset_at"}
    assert rows[0]["source"] == "api" and rows[0]["remaining_percent"] == 90.0
    table = run("history", "--db", str(db_path), "--limit", "2", "--tz", "UTC").stdout.splitlines()
    assert len(table) == 3 and "08:05" in table[1]
    csv_out = run("history", "w", "--db", str(db_path), "--format", "csv", "--since", "2026-11-18T08:04:00Z").stdout
    assert len(csv_out.splitlines()) == 3
    errors = json.loads(run("history", "--db", str(db_path), "--errors", "--format", "json").stdout)
    assert [(e["account"], e["kind"]) for e in errors] == [("x", "expired"), ("x", "expired")]


def test_concurrency_is_bounded_and_parallel(httpserver, usage_url, accounts_dir, db_path):
    """With 2 workers and 6 accounts, the server sees at most 2 requests in flight, and 2 at once."""
    import contextlib
    import threading

    from werkzeug import Response

    lock, state = threading.Lock(), {"now": 0, "max": 0}
    gate = threading.Barrier(2, timeout=5)

    def handler(request):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait()  # returns only when a second request is in flight too
        with lock:
            state["now"] -= 1
        return Response(json.dumps(usage_body()), content_type="application/json")

    for i in range(6):
        write_auth(accounts_dir / f"a{i}.auth.json", f"a{i}")
    httpserver.expect_request(USAGE_PATH).respond_with_handler(handler)
    result = run("collect", "--account-dir", str(accounts_dir), "--url", usage_url, "--db", str(db_path),
                 "--concurrency", "2", "-q")
    assert result.exit_code == 0, result.stderr
    assert state["max"] == 2
