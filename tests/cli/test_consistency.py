"""One way for every command: bad options in one line, durations with units, no future --at,
one name per Codex home, the distribution's name in every hint."""

from __future__ import annotations

import pytest

from tests.fixtures import USAGE_PATH, run, usage_body, write_auth
from tracker import DIST_NAME


@pytest.mark.parametrize(("args", "needle"), [
    (["report", "--since", "7d"], "no such option '--since'"),
    (["chart", "--last", "7"], "has no unit"),
    (["--bogus"], "no such option '--bogus'"),
    (["reprot"], "no such command 'reprot'"),
    (["report", "--at", "2999-01-01"], "is in the future"),
    (["status", "--at", "2h"], None),  # a duration ago is the past: no usage error (no database: exit 1)
])
def test_a_bad_option_is_one_line_with_where_to_look(tmp_path, args, needle):
    result = run(*args, "--db", str(tmp_path / "none.db")) if args[0] != "--bogus" else run(*args)
    if needle is None:
        assert result.exit_code == 1 and "no database" in result.stderr
        return
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("tracker: ")
    assert needle in result.stderr and "--help')" in result.stderr
    assert "Usage:" not in result.stderr


@pytest.mark.parametrize(("value", "ok"), [("2", True), ("2s", True), ("1.5", True), ("1m", True), ("0", False),
                                           ("20m", False), ("2 parsecs", False)])
def test_collect_timeout_takes_a_duration_and_plain_seconds_as_before(tmp_path, value, ok):
    result = run("collect", "--timeout", value, "--auth", str(tmp_path / "none.auth.json"), "--db", str(tmp_path / "t.db"))
    if ok:  # past the option: the missing auth file is the problem (exit 1)
        assert result.exit_code == 1 and "--timeout" not in result.stderr, result.stderr
    else:
        assert result.exit_code == 2 and "'--timeout'" in result.stderr and result.stderr.count("\n") == 1


def test_notify_refuses_a_future_at(tmp_path):
    result = run("notify", "--at", "2999-01-01T00:00", "--db", str(tmp_path / "n.db"))
    assert result.exit_code == 2 and "is in the future" in result.stderr


def test_chart_takes_a_duration_and_the_old_days_still_work(tmp_path):
    db = tmp_path / "d.db"
    assert run("demo", "--db", str(db), "--accounts", "1", "--span", "2d", "-o", str(tmp_path / "d.png")).exit_code == 0
    for args in (["--last", "36h"], ["--days", "1.5"]):
        out = tmp_path / f"{args[0][2:]}.svg"
        result = run("chart", *args, "--db", str(db), "-o", str(out))
        assert result.exit_code == 0, result.stderr
        assert out.stat().st_size > 10_000
    assert "--days" not in run("chart", "--help").stdout and "--last DURATION" in run("chart", "--help").stdout


def test_one_codex_home_under_two_names_is_refused_in_one_run_and_warned_across_runs(httpserver, tmp_path):
    home = tmp_path / "codex-home"
    write_auth(home / "auth.json", "me")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    url, db = httpserver.url_for(USAGE_PATH), str(tmp_path / "h.db")
    both = run("collect", "--codex-home", f"a={home}", "--codex-home", f"b={home}/", "--url", url, "--db", db)
    assert both.exit_code == 1 and "is named both 'a' and 'b'" in both.stderr
    assert run("collect", "--codex-home", f"a={home}", "--url", url, "--db", db, "-q").exit_code == 0
    again = run("collect", "--codex-home", f"b={home}", "--url", url, "--db", db)
    assert again.exit_code == 0
    assert "'b' reads the same auth file as the stored account 'a'" in again.stderr
    assert "stored account 'b'" in run("collect", "--codex-home", f"a={home}", "--url", url, "--db", db).stderr
    assert run("accounts", "forget", "b", "--yes", "--db", db).exit_code == 0
    assert run("collect", "--codex-home", f"a={home}", "--url", url, "--db", db).stderr == ""


def test_the_distribution_name_is_the_one_every_hint_uses():
    assert DIST_NAME == "codex-quota-history"
    assert run("--version").stdout.startswith("codex-quota-history, version")
    from tracker.web.server import INSTALL_HINT

    assert f"pip install '{DIST_NAME}[web]'" in INSTALL_HINT
