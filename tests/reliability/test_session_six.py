"""Sixth adversarial pass (session of 2026-12-04, stop 6), on what the last stop added: the
reset-credits list under a hostile server, session token counts that dip and recover, readings
out of range, empty weeks in `tracker limits`, piped `tracker watch`, and collect's inputs."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import struct
import time
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests import fixtures
from tests.fixtures import (
    CREDITS_PATH,
    HIST_T0,
    NOW,
    USAGE_PATH,
    credits_body,
    iso,
    rate_line,
    run,
    sqlite_rows,
    stored_text,
    usage_body,
    write_auth,
    write_log,
)
from tracker.cli.root import cli
from tracker.collect.session_tokens import SessionTokens
from tracker.records import TokenCounts
from tracker.storage.codec import unpack_body

AT = datetime.fromtimestamp(NOW, tz=UTC)

# -- 1. the reset-credits list under a hostile server ----------------------------------------------


def _drip(_request):
    def body():
        yield b'{"credits": ['
        for _ in range(60):
            yield b" "
            time.sleep(0.05)  # the hostile server's pace, not a timing check
    return Response(body(), content_type="application/json")


def _no_headers(_request):
    time.sleep(2)  # the hostile server answers too late, not a timing check
    return Response("{}", content_type="application/json")


def gzip_zeros(size: int, block: int = 1 << 20) -> bytes:
    """A gzip stream of ``size`` zero bytes, built in a fraction of a second: one compressed block
    (the dictionary flushed after it, so it can be repeated), repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = compressor.compress(b"\0" * block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // block):
        crc = zlib.crc32(b"\0" * block, crc)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + piece * (size // block) + b"\x03\x00"
            + struct.pack("<II", crc, size & 0xFFFFFFFF))


def _bomb(layers: int):
    data = gzip_zeros(1 << 30)  # 1 GiB once unpacked (1 MB sent; twice packed, 2.5 kB)
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)

    def handler(_request):
        return Response(data, headers={"Content-Encoding": ", ".join(["gzip"] * layers)},
                        content_type="application/json")
    return handler


def _echo(status):
    def handler(request):
        return Response(f'denied: {request.headers["Authorization"]} {request.headers["Authorization"][7:][::-1]}',
                        status=status)
    return handler


def _echo_in_title(request):
    token = request.headers["Authorization"][7:]
    return Response(json.dumps(credits_body(fixtures.credit_item("rc-echo", AT + timedelta(days=9), title=f"for {token}"))),
                    content_type="application/json")


TOMORROW = AT + timedelta(days=1)
# (how the server answers, the outcome stored, a fragment of the error or of the stored credit)
ATTACKS = {
    "302 to another host": (lambda h, thief: h.respond_with_data(
        "", status=302, headers={"Location": thief.url_for("/steal")}), "unknown", "HTTP 302: redirected to 127.0.0.1"),
    "301 to plain http": (lambda h, _: h.respond_with_data(
        "", status=301, headers={"Location": "http://evil.example/steal"}), "unknown", "redirected to evil.example"),
    "307 to a path here": (lambda h, _: h.respond_with_data(
        "", status=307, headers={"Location": "/backend-api/login\x1b[2J"}), "unknown",
        "redirected to /backend-api/login"),  # was "redirected to elsewhere"
    "HTML": (lambda h, _: h.respond_with_data("<html>Log in</html>", content_type="text/html"), "unknown", "HTML"),
    "40 MB": (lambda h, _: h.respond_with_data(b'{"credits": [' + b"0," * 20_000_000 + b"0]}"), "unknown",
              "larger than 4 MiB"),
    "slow body": (lambda h, _: h.respond_with_handler(_drip), "unknown", "not complete within 1s"),
    "no headers in time": (lambda h, _: h.respond_with_handler(_no_headers), "unknown", "no answer within 1s"),
    "gzip bomb": (lambda h, _: h.respond_with_handler(_bomb(1)), "unknown", "larger than 4 MiB"),
    "gzip bomb twice packed": (lambda h, _: h.respond_with_handler(_bomb(2)), "unknown", "larger than 4 MiB"),
    "NaN and Infinity": (lambda h, _: h.respond_with_data(
        '{"available_count": NaN, "credits": [{"id": "a", "status": "available", "expires_at": Infinity,'
        ' "granted_at": -Infinity, "redeemed_at": NaN, "title": NaN}]}', content_type="application/json"),
        "ok", ("a", "available", None, None, None, None)),
    "huge and negative": (lambda h, _: h.respond_with_data(
        '{"available_count": -3, "credits": [{"id": 1e400, "status": "available"},'
        ' {"id": -7, "status": "available", "expires_at": -1e300, "granted_at": 1e308,'
        ' "redeemed_at": 99999999999999999999999999999}]}', content_type="application/json"),
        "ok", ("-7", "available", None, None, None, None)),
    "control characters": (lambda h, _: h.respond_with_json(credits_body(fixtures.credit_item(
        "id\r\nX: 1\x1b[2J", TOMORROW, title="\x1b]0;pwned\x07T\rI\nT\u202eLE\x00", reset_type="\x1b[31mred"))),
        "ok", ("id\\x0d\\x0aX: 1\\x1b[2J", "available", "\\x1b]0;pwned\\x07T\\x0dI\\x0aT\\u202eLE\\x00",
               "\\x1b[31mred", int(TOMORROW.timestamp()) - 30 * 86400, int(TOMORROW.timestamp()))),
    "token in a title": (lambda h, _: h.respond_with_handler(_echo_in_title), "ok", "rc-echo"),
    "unknown shape": (lambda h, _: h.respond_with_json({"resets": {"n": 2}, "data": "x"}), "unknown",
                      "not a credits list (keys: data, resets)"),
    "a number": (lambda h, _: h.respond_with_json(3), "unknown", "a JSON int, not a credits list"),
    "401": (lambda h, _: h.respond_with_data('{"error": "expired"}', status=401), "unknown", "HTTP 401"),
    "403 JSON": (lambda h, _: h.respond_with_json({"detail": "no access"}, status=403), "unknown", "HTTP 403"),
    "403 HTML": (lambda h, _: h.respond_with_data("<html>challenge</html>", status=403, content_type="text/html"),
                 "unknown", "HTTP 403 with an HTML page"),
    "429": (lambda h, _: h.respond_with_data("slow down", status=429, headers={"Retry-After": "1"}), "unknown",
            "HTTP 429"),
    "500 echoing the token": (lambda h, _: h.respond_with_handler(_echo(500)), "unknown", "HTTP 500: denied: "),
    "503 with ANSI": (lambda h, _: h.respond_with_data("down \x1b[2J\r\nnow", status=503), "unknown",
                      "HTTP 503: down \\x1b[2J now"),
}


def _stored_credits(db):
    return sqlite_rows(db, "SELECT c.credit_id, c.status, c.title, c.reset_type, c.granted_at, c.expires_at FROM "
                           "reset_credits c JOIN accounts a ON a.id = c.account_id WHERE a.name = 'work'")


@pytest.mark.parametrize(("attack", "outcome", "expected"), ATTACKS.values(), ids=ATTACKS.keys())
def test_a_hostile_credits_list_is_one_line_and_never_the_collection(httpserver, tmp_path, attack, outcome, expected):
    # The list is asked with the bearer token after a good usage answer; whatever it answers, the
    # usage snapshots of both accounts are stored, exit 0, the other account's list is read, and
    # the trouble is one warning line naming the account (it was silent outside --json).
    accounts = tmp_path / "accounts"
    secrets = [s for name in ("work", "home") for s in fixtures.all_secrets(write_auth(accounts / f"{name}.auth.json", name))]
    thief = HTTPServer(host="127.0.0.1", port=0)
    thief.start()
    try:
        thief.expect_request("/steal").respond_with_json({"credits": []})
        httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
        attack(httpserver.expect_request(CREDITS_PATH, headers={"ChatGPT-Account-Id": "acc-work"}), thief)
        httpserver.expect_request(CREDITS_PATH, headers={"ChatGPT-Account-Id": "acc-home"}).respond_with_json(
            credits_body(fixtures.credit_item("rc-home", AT + timedelta(days=3))))
        db = tmp_path / "c.db"
        result = CliRunner().invoke(cli, ["collect", "--account-dir", str(accounts), "--url",
                                          httpserver.url_for(USAGE_PATH), "--db", str(db), "--retries", "0",
                                          "--timeout", "1", "--at", iso(AT)], catch_exceptions=False)
        assert thief.log == []  # the token never followed a redirect
    finally:
        thief.stop()
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["home", "work"]
    assert sqlite_rows(db, "SELECT count(*) FROM snapshots") == [(2,)]
    fetches = dict(sqlite_rows(db, "SELECT a.name, f.outcome FROM reset_credit_fetches f JOIN accounts a "
                                   "ON a.id = f.account_id"))
    assert fetches == {"home": "ok", "work": outcome}
    assert ("rc-home",) in sqlite_rows(db, "SELECT credit_id FROM reset_credits")
    if outcome == "unknown":
        [(error, raw)] = sqlite_rows(db, "SELECT f.error, f.raw FROM reset_credit_fetches f JOIN accounts a "
                                         "ON a.id = f.account_id WHERE a.name = 'work'")
        assert expected in error, error
        assert result.stderr == f"tracker: warning: work: reset credits list not read: {error.removeprefix('credits list ')}\n"
        if "unknown shape" in error or "keys:" in error:
            assert b'"resets"' in unpack_body(raw)  # kept raw, like an usage answer not understood
    else:
        assert result.stderr == ""
        stored = _stored_credits(db)
        assert expected in stored if isinstance(expected, tuple) else expected in str(stored), stored
    report = run("report", "--db", db, "--at", iso(AT))
    assert report.exit_code == 0, report.output
    for text in (result.output, report.output):  # what reaches the terminal: escaped
        assert not any(c in text for c in "\x1b\r\x07\x00\u202e"), text
    for text in (result.output, report.output, stored_text(db)):  # raw bodies included
        assert not any(s in text for s in secrets)


def test_an_unreadable_credits_list_is_silent_with_quiet(httpserver, tmp_path):
    write_auth(tmp_path / "a" / "work.auth.json", "work")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    httpserver.expect_request(CREDITS_PATH).respond_with_data("oops", status=500)
    result = run("collect", "--account-dir", tmp_path / "a", "--url", httpserver.url_for(USAGE_PATH),
                 "--db", tmp_path / "q.db", "--retries", "0", "--quiet")
    assert (result.exit_code, result.output) == (0, "")  # cron mails nothing: the list is asked again in an hour


def test_a_bomb_is_refused_without_unpacking_it_in_memory(httpserver, tmp_path):
    # 2.5 kB on the wire, 1 GiB once unpacked twice: read in bounded pieces up to the 4 MiB cap
    write_auth(tmp_path / "a" / "work.auth.json", "work")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    httpserver.expect_request(CREDITS_PATH).respond_with_handler(_bomb(2))
    tracemalloc.start()
    try:
        result = run("collect", "--account-dir", tmp_path / "a", "--url", httpserver.url_for(USAGE_PATH),
                     "--db", tmp_path / "b.db", "--retries", "0", "--json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0 and "larger than 4 MiB" in result.stdout
    assert peak < 64 << 20, f"{peak / 2**20:.0f} MiB"


# -- 3. a used share out of range -------------------------------------------------------------------


def _collect_answer(httpserver, tmp_path, body: dict, db):
    """One account, this usage answer and an empty credits list, collected at AT: exit 0."""
    write_auth(tmp_path / "a" / "work.auth.json", "work")
    httpserver.expect_request(USAGE_PATH).respond_with_json(body)
    httpserver.expect_request(CREDITS_PATH).respond_with_json([])
    result = run("collect", "--account-dir", tmp_path / "a", "--url", httpserver.url_for(USAGE_PATH), "--db", db,
                 "--retries", "0", "--at", iso(AT))
    assert result.exit_code == 0, result.output
    return result


def test_a_share_out_of_range_is_stored_clamped_and_said(httpserver, tmp_path):
    # 250 % was stored as 100 % without a word: now one warning naming the account and the window,
    # the figure in --json, the raw answer keeping 250; exit code unchanged
    body = usage_body()
    body["rate_limit"]["secondary_window"]["used_percent"] = 250
    body["rate_limit"]["primary_window"] = {"remaining_percent": 120, "limit_window_seconds": 18000}
    db = tmp_path / "p.db"
    table = _collect_answer(httpserver, tmp_path, body, db)
    assert table.stderr.splitlines() == [
        "tracker: warning: work: 5h used -20% read as 0% (outside 0-100; the answer is stored as it came)",
        "tracker: warning: work: weekly used 250% read as 100% (outside 0-100; the answer is stored as it came)"]
    as_json = run("collect", "--account-dir", tmp_path / "a", "--url", httpserver.url_for(USAGE_PATH), "--db", db,
                  "--retries", "0", "--at", iso(AT + timedelta(minutes=5)), "--json", "--quiet")
    assert as_json.stderr == ""
    windows = {w["kind"]: (w["used_percent"], w["reported_percent"]) for w in json.loads(as_json.stdout)[0]["windows"]}
    assert windows == {"five_hour": (0.0, -20.0), "weekly": (100.0, 250.0)}
    assert sorted(sqlite_rows(db, "SELECT DISTINCT used_percent FROM windows")) == [(0.0,), (100.0,)]
    assert all(b'"used_percent":250' in unpack_body(raw).replace(b" ", b"")
               for (raw,) in sqlite_rows(db, "SELECT raw FROM snapshots"))
    assert run("collect", "--account-dir", tmp_path / "a", "--url", httpserver.url_for(USAGE_PATH), "--db", db,
               "--retries", "0", "--quiet").stderr == ""


# -- 4. empty weeks in `tracker limits` -------------------------------------------------------------


def test_limits_shows_a_run_of_empty_weeks_as_one_row(tmp_path):
    # the demo's week of history under the default --since 8w printed seven "(no readings)" rows
    # per window before the one with data
    db = tmp_path / "d.db"
    assert run("demo", "--db", db, "--accounts", "1", "-o", tmp_path / "d.png").exit_code == 0
    result = run("limits", "--db", db, "--tz", "UTC")
    assert result.exit_code == 0, result.output
    blocks = result.stdout.split(" window: tokens per 1 %")[1:]
    assert len(blocks) == 2
    for block in blocks:
        rows = [line for line in block.splitlines()[2:] if line.startswith("    ")]
        # the weeks before the demo's first reading are no row at all (were one "(no readings, 7 weeks)")
        assert not [line for line in rows if "(no readings" in line], rows
        assert 1 <= len(rows) <= 2  # the week or two with data
    as_json = json.loads(run("limits", "--db", db, "--json").stdout)
    assert len(as_json[0]["windows"][0]["weeks"]) == 8  # --json keeps every week, and says where readings start
    assert as_json[0]["windows"][0]["first_reading_at"] is not None


# -- 5. piped `tracker watch` ---------------------------------------------------------------------


def test_piped_watch_is_the_readmes_frame_and_width_wraps_it(tmp_path):
    # piped, the frame was wrapped at 100 columns (figures under each bar), unlike the README's
    db = tmp_path / "d.db"
    assert run("demo", "--db", db, "--accounts", "2", "-o", tmp_path / "d.png").exit_code == 0
    piped = run("watch", "--db", db, "--tz", "UTC")
    assert piped.exit_code == 0, piped.output
    windows = [line for line in piped.stdout.splitlines() if line.startswith(("  5h ", "  weekly "))]
    assert len(windows) == 4 and max(map(len, windows)) > 100, piped.stdout
    assert not [line for line in piped.stdout.splitlines() if line.startswith(" " * 9)]  # nothing wrapped
    narrow = run("watch", "--db", db, "--tz", "UTC", "--width", "80")
    assert max(map(len, narrow.stdout.splitlines())) <= 80
    assert [line for line in narrow.stdout.splitlines() if line.startswith(" " * 9)]


# -- 2. token counts that go back and return -------------------------------------------------------

TRUE_TOTALS = [(1000 * (i + 1), 500 * (i + 1), 100 * (i + 1), 10 * (i + 1)) for i in range(40)]


def _tampered(kind: str) -> list[tuple]:
    if kind == "every other line lost a digit":
        return [tuple(v // 10 for v in t) if i % 2 else t for i, t in enumerate(TRUE_TOTALS)]
    if kind == "every other line zero":
        return [(0, 0, 0, 0) if i % 2 else t for i, t in enumerate(TRUE_TOTALS)]
    if kind == "lines written in pairs, the later first":
        return [TRUE_TOTALS[i ^ 1] for i in range(len(TRUE_TOTALS))]
    if kind == "line 30 ten times its count":
        return [tuple(10 * v for v in t) if i == 30 else t for i, t in enumerate(TRUE_TOTALS)]
    if kind == "every fifth line ten times its count":
        return [tuple(10 * v for v in t) if i % 5 == 2 else t for i, t in enumerate(TRUE_TOTALS)]
    return TRUE_TOTALS


def _log(shown) -> list[str]:
    return [rate_line(HIST_T0 + timedelta(minutes=5 * i), None, (float(i), HIST_T0 + timedelta(days=5)),
                      total=shown[i], last=(1000, 500, 100, 10)) for i in range(len(shown))]


@pytest.mark.parametrize(("kind", "most"), [
    ("every other line lost a digit", 40_000),  # was 382,000 (x9.6)
    ("every other line zero", 40_000),  # was 420,000 (x10.5)
    ("lines written in pairs, the later first", 41_000),  # was 79,000; the last line's own use over
    ("line 30 ten times its count", 40_000),  # was 319,000
    ("every fifth line ten times its count", 40_000),  # was 382,000
    ("clean", 40_000),
])
def test_a_count_that_dips_and_recovers_or_spikes_is_counted_once(tmp_path, kind, most):
    home = tmp_path / ".codex"
    write_log(home / "sessions/2026/11/09/rollout-a.jsonl", _log(_tampered(kind)))
    db = tmp_path / "t.db"
    assert run("import-sessions", "--codex-home", f"me={home}", "--db", db).exit_code == 0
    [(rows, input_tokens, output_tokens)] = sqlite_rows(db, "SELECT count(*), sum(input_tokens), sum(output_tokens) FROM snapshots")
    assert rows == 40
    assert 40_000 <= input_tokens <= most and 4_000 <= output_tokens <= most // 10, (input_tokens, output_tokens)


_FOUR = st.tuples(*[st.integers(0, 5000)] * 4)


def _tamper(totals: list[tuple], how: list[str]) -> list[tuple]:
    """Some lines lowered (a digit lost, zeroed) or swapped with the next; then spikes (x10) on
    lines between two intact ones. The last line stays intact."""
    shown = list(totals)
    for i in range(len(totals) - 1):
        if how[i] == "tenth":
            shown[i] = tuple(v // 10 for v in totals[i])
        elif how[i] == "zero":
            shown[i] = (0, 0, 0, 0)
        elif how[i] == "swap" and i + 2 < len(totals) and how[i + 1] == "ok":
            shown[i], shown[i + 1] = totals[i + 1], totals[i]
    for i in range(1, len(totals) - 1):
        if how[i] == "x10" and all(shown[j] == totals[j] for j in (i - 1, i, i + 1)):
            shown[i] = tuple(10 * v for v in totals[i])
    return shown


@settings(max_examples=300, deadline=None)
@given(st.lists(_FOUR, min_size=2, max_size=30),
       st.lists(st.sampled_from(["ok", "ok", "tenth", "zero", "swap", "x10"]), min_size=30, max_size=30))
def test_any_dips_and_spikes_keep_the_sum_between_the_truth_and_the_tampered_lines(steps, how):
    # true cumulative counts, tampered: the sum counted (a spike holds what its own use does not
    # explain until a later line confirms it) and what is still held is at least the true total,
    # and the sum counted at most that plus what the
    # lowered lines show and every tampered line spent (twice and 1,000 for a spike: within that a
    # rise is its own). Was: the session counted again at every dip, a spike kept whole.
    totals = list(itertools.accumulate(steps, lambda a, b: tuple(x + y for x, y in zip(a, b, strict=True))))
    shown = _tamper(totals, how)
    names = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")
    session, uses, slack = SessionTokens(from_start=True), [], TokenCounts()
    for seen, true, spent in zip(shown, totals, steps, strict=True):
        use, line_totals = session.step({"total_token_usage": dict(zip(names, seen, strict=True)),
                                         "last_token_usage": dict(zip(names, spent, strict=True))})
        session.take(line_totals)
        uses.append(use)
        if seen != true:
            high = TokenCounts(*seen).covers(TokenCounts(*true))
            slack = slack.plus(TokenCounts(*spent)).plus(TokenCounts(*(2 * x + 1000 for x in spent)) if high
                                                         else TokenCounts(*seen))
    counted = TokenCounts()
    for use in uses:
        assert min(vars(use).values()) >= 0
        counted = counted.plus(use)
    truth = TokenCounts(*totals[-1])
    assert counted.plus(session.unconfirmed).covers(truth) and truth.plus(slack).covers(counted), (counted, truth, shown)


@pytest.mark.parametrize("cut", [11, 12, 13])
def test_an_import_resumed_inside_a_dip_counts_as_one_import(tmp_path, cut):
    # the dip is kept with the read position: resumed after the garbled line 11, the next import
    # still knows the level before it (was: line 12 counted the session again)
    shown = _tampered("every other line lost a digit")
    home = tmp_path / ".codex"
    path = home / "sessions/2026/11/09/rollout-a.jsonl"
    db = tmp_path / "t.db"
    write_log(path, _log(shown)[:cut])
    assert run("import-sessions", "--codex-home", f"me={home}", "--db", db).exit_code == 0
    write_log(path, _log(shown))
    assert run("import-sessions", "--codex-home", f"me={home}", "--db", db).exit_code == 0
    assert sqlite_rows(db, "SELECT count(*), sum(input_tokens) FROM snapshots") == [(40, 40_000)]


# -- 6. collect's inputs: Codex homes' config.toml, the tracker's config file, auth file names ------


def test_one_codex_homes_unsafe_url_is_that_accounts_failure_only(httpserver, tmp_path):
    # a config.toml sending Codex over plain http to another host refused the whole collection
    # (exit 4, nothing stored for the other home); now it is that account's one line
    good, bad, odd = tmp_path / "good", tmp_path / "bad", tmp_path / "odd"
    for home in (good, bad, odd):
        write_auth(home / "auth.json", home.name)
    (good / "config.toml").write_text(f'chatgpt_base_url = "{httpserver.url_for("/backend-api")}"\n')
    (bad / "config.toml").write_text('chatgpt_base_url = "http://evil.example/backend-api"\n')
    (odd / "config.toml").write_text(f'chatgpt_base_url = "{httpserver.url_for("/backend-api")}?x=1"\n')
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    httpserver.expect_request(CREDITS_PATH).respond_with_json([])
    db = tmp_path / "h.db"
    result = run("collect", *(a for h in (good, bad, odd) for a in ("--codex-home", f"{h.name}={h}")), "--db", db,
                 "--retries", "0", "--json")
    assert result.exit_code == 4, result.output
    statuses = {r["account"]: r["status"] for r in json.loads(result.stdout)}
    assert statuses == {"good": "ok", "bad": "unsafe_url", "odd": "unsafe_url"}
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"tracker: bad: unsafe_url: {bad / 'config.toml'} (chatgpt_base_url)")
    assert "plain http to evil.example" in lines[0] and "no ?query" in lines[1]
    assert sqlite_rows(db, "SELECT count(*) FROM snapshots") == [(1,)]
    assert sorted(sqlite_rows(db, "SELECT kind FROM failures")) == [("unsafe_url",), ("unsafe_url",)]
    assert len(httpserver.log) == 2  # the good account's usage and credits list, nothing for the others


@pytest.mark.parametrize(("toml", "was"), [
    ('[accounts]\naccount_dirs = ["a\\u0000b"]', "exit 5: internal error (ValueError: embedded null byte)"),
    ('[accounts]\ncodex_homes = { "work\\u001b[31m" = "/tmp" }', "exit 2, the config file not named"),
    ('[accounts]\ncodex_homes = { "a\\u2028b" = "/tmp" }', "a name with a line separator"),
    ('[accounts]\ncodex_homes = { work = "/tmp/a\\u0000b" }', "exit 5"),
])
def test_config_accounts_with_a_nul_or_an_unprintable_name_name_their_line(tmp_path, monkeypatch, toml, was):
    config = tmp_path / "config.toml"
    config.write_text(toml + "\n")
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    result = run("collect", "--db", tmp_path / "c.db", "--retries", "0")
    assert result.exit_code == 4, (was, result.output)
    assert result.stderr.startswith(f"tracker: {config}, line 2: accounts.") and result.stderr.count("\n") == 1


def test_auth_file_names_with_c1_controls_separators_or_bidi_name_no_account(httpserver, tmp_path):
    # NEL (U+0085), the line separator (U+2028, raw on the terminal: printable() let it through)
    # and a right-to-left override were account names; they are skipped as a newline is
    accounts = tmp_path / "acc"
    for name in ("ok", "nel\x85x", "ls\u2028x", "\u202eevil", "cr\rx"):
        write_auth(accounts / f"{name}.auth.json", "ok")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    httpserver.expect_request(CREDITS_PATH).respond_with_json([])
    db = tmp_path / "n.db"
    result = run("collect", "--account-dir", accounts, "--url", httpserver.url_for(USAGE_PATH), "--db", db,
                 "--retries", "0")
    assert result.exit_code == 0, result.output
    assert sqlite_rows(db, "SELECT name FROM accounts") == [("ok",)]
    from tracker.render import printable

    assert printable("a\u2028b\u2029c") == "a\\u2028b\\u2029c"


# An auth file skipped for its name was skipped without a word: now one escaped warning line each.
_BAD_NAMES = {"nel\x85x": "nel\\x85x", "ls\u2028x": "ls\\u2028x", "\u202eevil": "\\u202eevil",
              "cr\rx": "cr\\x0dx", "esc\x1b[31mred": "esc\\x1b[31mred", " ": " ", "x" * 201: "x" * 201}


def _skip_dir(tmp_path, names, good=("ok",)):
    accounts = tmp_path / "acc"
    for name in (*good, *names):
        write_auth(accounts / f"{name}.auth.json", "ok")
    return accounts


def _skip_run(httpserver, accounts, db, *extra):
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    httpserver.expect_request(CREDITS_PATH).respond_with_json([])
    return run("collect", "--account-dir", accounts, "--url", httpserver.url_for(USAGE_PATH), "--db", db,
               "--retries", "0", *extra)


def test_each_auth_file_skipped_for_its_name_is_one_escaped_warning(httpserver, tmp_path):
    accounts = _skip_dir(tmp_path, _BAD_NAMES)
    (accounts / os.fsdecode(b"latin\xe9.auth.json")).write_text("{}")  # not UTF-8: a lone surrogate
    db = tmp_path / "n.db"
    result = _skip_run(httpserver, accounts, db)
    assert result.exit_code == 0, result.output  # the good account is collected, the code unchanged
    assert sqlite_rows(db, "SELECT name FROM accounts") == [("ok",)]
    warnings = [line for line in result.stderr.splitlines() if "skipped" in line]
    assert len(warnings) == len(_BAD_NAMES) + 1 == len(result.stderr.splitlines()), result.stderr
    for shown in [*_BAD_NAMES.values(), "latin\\xe9"]:
        assert any(w.startswith(f"tracker: warning: {accounts}/{shown}.auth.json: skipped: ") for w in warnings), shown
    assert all(line.isprintable() for line in warnings)  # no CR, ESC, NEL, U+2028 or RLO reached stderr
    assert "at most 200" in result.stderr and "not UTF-8" in result.stderr and "empty" in result.stderr


def test_skipped_auth_files_are_silent_with_quiet_and_the_others_untouched(httpserver, tmp_path):
    accounts = _skip_dir(tmp_path, ["cr\rx", "ls\u2028x"])
    result = _skip_run(httpserver, accounts, tmp_path / "q.db", "--quiet")
    assert result.exit_code == 0 and result.stderr == "", result.stderr
    result = _skip_run(httpserver, _skip_dir(tmp_path / "b", []), tmp_path / "g.db")  # nothing skipped
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr


def test_when_every_auth_file_is_skipped_the_warnings_come_before_no_account_exit_1(httpserver, tmp_path):
    accounts = _skip_dir(tmp_path, ["cr\rx", "\u202eevil"], good=())
    result = _skip_run(httpserver, accounts, tmp_path / "e.db")
    assert result.exit_code == 1, result.output  # README: 1 = no account found at all
    lines = result.stderr.splitlines()
    assert len(lines) == 3 and all(line.startswith("tracker: warning: ") for line in lines[:2]), lines
    assert lines[2].startswith("tracker: no Codex account found"), lines


class RawServer:
    """Answers every connection with the same bytes (headers werkzeug would not send as given:
    its own Date beside ours, two Content-Lengths)."""

    def __init__(self, answer: bytes) -> None:
        import socket
        import threading

        self.answer, self.listener = answer, socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/backend-api"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(self.answer)

    def close(self) -> None:
        self.listener.close()


@pytest.mark.parametrize(("date", "five_reset"), [
    ("Fri, 31 Dec 9999 23:59:59 GMT", AT + timedelta(seconds=7000)),  # was unparsed (OverflowError), exit 3
    ("Thu, 01 Jan 1970 00:00:00 GMT", AT + timedelta(seconds=7000)),  # was a reset in 1970
    ("Sat, 01 Jan 2050 00:00:00 GMT", AT + timedelta(seconds=7000)),  # was a reset in 2050
    (format_datetime(AT + timedelta(minutes=10), usegmt=True), AT + timedelta(minutes=10, seconds=7000)),
])
def test_a_server_date_far_from_our_clock_is_not_the_reference_of_relative_resets(tmp_path, date, five_reset):
    write_auth(tmp_path / "a" / "work.auth.json", "work")
    body = json.dumps({"rate_limit": {"primary_window": {"used_percent": 10, "limit_window_seconds": 18000,
                                                         "reset_after_seconds": 7000}}}).encode()
    server = RawServer(b"HTTP/1.1 200 OK\r\nDate: " + date.encode() + b"\r\nContent-Type: application/json\r\n"
                       b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    try:
        result = run("collect", "--account-dir", tmp_path / "a", "--url", server.url, "--db", tmp_path / "d.db",
                     "--retries", "0", "--json", "--at", iso(AT), "--quiet")
    finally:
        server.close()
    assert result.exit_code == 0, result.output
    [window] = json.loads(result.stdout)[0]["windows"]
    assert window["reset_at"] == iso(five_reset)


def test_two_content_lengths_are_the_servers_fault_not_the_auth_files(tmp_path):
    # urllib3 refuses the answer with requests' InvalidHeader, which was read as our own header
    # refused: "auth_error: check the auth file", exit 1
    write_auth(tmp_path / "a" / "work.auth.json", "work")
    server = RawServer(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 200\r\nConnection: close\r\n\r\n{}")
    try:
        result = run("collect", "--account-dir", tmp_path / "a", "--url", server.url, "--db", tmp_path / "d.db",
                     "--retries", "0")
    finally:
        server.close()
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith("tracker: work: http_error: the server's answer has a malformed header: ")
    assert "Content-Length" in result.stderr and result.stderr.count("\n") == 1


def test_an_answer_listing_thousands_of_limits_keeps_a_few_and_says_so(httpserver, tmp_path):
    # 20,000 additional limits in one 3 MB answer: a series each; collect took 19 s, report 46 s
    # and status (a prompt's command) 82 s. Now the main quota and the first 23 others are kept
    body = usage_body()
    body["additional_rate_limits"] = [
        {"limit_name": f"feature-{i:05d}", "rate_limit": {"primary_window": {
            "used_percent": i % 100, "limit_window_seconds": 18000, "reset_at": NOW + 3600}}} for i in range(5000)]
    db = tmp_path / "l.db"
    result = _collect_answer(httpserver, tmp_path, body, db)
    assert result.stderr == ("tracker: warning: work: the answer lists 4,977 limits more than the 24 kept "
                             "(the answer is stored as it came)\n")
    assert sqlite_rows(db, "SELECT count(DISTINCT limit_name) FROM series") == [(24,)]
    assert ("feature-00000",) in sqlite_rows(db, "SELECT limit_name FROM series")
    assert b"feature-04999" in unpack_body(sqlite_rows(db, "SELECT raw FROM snapshots")[0][0])
    assert run("status", "--db", db).exit_code == 0
