"""Network failures in plain words: what failed and what to check, never a library's raw text or an
internal error (a TLS failure once crashed the reason finder: ssl's ``reason`` is a string)."""

from __future__ import annotations

from tests.fixtures import run, sqlite_rows, write_auth


def test_https_to_a_plain_http_server_is_a_tls_failure_in_one_line(httpserver, tmp_path):
    write_auth(tmp_path / "x.auth.json", "x")
    db = tmp_path / "tls.db"
    url = f"https://127.0.0.1:{httpserver.port}/backend-api"
    result = run("collect", "--auth", tmp_path / "x.auth.json", "--url", url, "--db", db, "--retries", "0", "-q")
    assert result.exit_code == 2, result.stderr
    assert result.stderr.strip().startswith(f"tracker: x: network_error: TLS failed with 127.0.0.1:{httpserver.port}")
    assert "check --url" in result.stderr and "internal error" not in result.stderr
    assert sqlite_rows(db, "select kind from failures") == [("network_error",)]


def test_a_name_that_does_not_resolve_says_so(tmp_path):
    write_auth(tmp_path / "x.auth.json", "x")
    result = run("collect", "--auth", tmp_path / "x.auth.json", "--url", "https://nohost.invalid/backend-api",
                 "--db", tmp_path / "dns.db", "--retries", "0", "--timeout", "5", "-q")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("tracker: x: network_error: could not resolve nohost.invalid: "
                                     "check the network or --url")
