"""`tracker notify` and `collect --notify`: once per episode, per channel, with an injected clock.

Webhooks go to a real HTTP server on 127.0.0.1; desktop calls to a stub `notify-send` on PATH.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug import Response

from tests.fixtures import NOW, USAGE_PATH, run, usage_body, write_auth

T = datetime.fromtimestamp(NOW, UTC)
HOOK = "/hook"


@pytest.fixture
def stub_notify_send(tmp_path, monkeypatch):
    """A notify-send that records its arguments, one call per line."""
    bin_dir, log = tmp_path / "bin", tmp_path / "desktop.log"
    bin_dir.mkdir()
    script = bin_dir / "notify-send"
    script.write_text(f'#!/bin/sh\nprintf "%s|" "$@" >> {log}\necho >> {log}\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def desktop_calls(log) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def env(tmp_path, httpserver):
    write_auth(tmp_path / "accounts" / "work.auth.json", "work")
    hooks: list[dict] = []

    def record(request):
        hooks.append(request.get_json())
        (tmp_path / "hooks.jsonl").open("a").write(request.get_data(as_text=True) + "\n")  # for the secrets check
        return Response("ok")

    httpserver.expect_request(HOOK, method="POST").respond_with_handler(record)
    return {"dir": tmp_path / "accounts", "db": tmp_path / "t.db", "hooks": hooks,
            "usage": httpserver.url_for(USAGE_PATH), "hook": httpserver.url_for(HOOK)}


def collect_at(httpserver, env, minutes, five_used, *extra, five_reset=NOW + 4 * 3600):
    httpserver.expect_oneshot_request(USAGE_PATH).respond_with_json(
        usage_body(five_used=five_used, five_reset=five_reset))
    at = (T + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return run("collect", "--account-dir", str(env["dir"]), "--url", env["usage"], "--db", str(env["db"]),
               "--at", at, "--tz", "UTC", "-q", "--notify", "--webhook", env["hook"], "--desktop", *extra)


def test_episodes_notify_once_and_again_after_clearing(httpserver, env, stub_notify_send):
    steps = [  # (minute, five-hour used %, notifications expected this step)
        (0, 50, 0),    # fine
        (10, 93, 1),   # 7 % left: low -> notified once
        (20, 95, 0),   # still low -> nothing
        (30, 89, 0),   # a drop with the same reset time is noise: still the same episode
        (40, 92, 0),   # low again within the episode -> nothing
        (50, 20, 0),   # an early reset (a new window): 80 % left, recovered, the episode ends
        (60, 94, 1),   # low again -> notified again
    ]
    for minute, used, expected in steps:
        before = len(env["hooks"])
        result = collect_at(httpserver, env, minute, used, five_reset=NOW + (4 if minute < 50 else 9) * 3600)
        assert result.exit_code == 0, result.stderr
        assert len(env["hooks"]) - before == expected, f"minute {minute}"
    assert len(desktop_calls(stub_notify_send)) == 2
    hook = env["hooks"][0]
    assert hook == {"account": "work", "limit": "codex", "kind": "five_hour", "rule": "below",
                    "message": "Codex work: 5h window 7% left (below 10%), resets 15:06 (in 3h 50m)",
                    "text": "Codex work: 5h window 7% left (below 10%), resets 15:06 (in 3h 50m)",
                    "used_percent": 93.0, "remaining_percent": 7.0, "reset_at": "2026-11-18T15:06:40Z",
                    "exhausts_at": hook["exhausts_at"]}
    call = desktop_calls(stub_notify_send)[0].split("|")
    assert call[:4] == ["--app-name=codex-usage-tracker", "--urgency=critical", "Codex usage",
                        "Codex work: 5h window 7% left (below 10%), resets 15:06 (in 3h 50m)"]


def test_a_failed_webhook_is_reported_and_retried_next_run(httpserver, env, tmp_path):
    failing = httpserver.url_for("/down")
    httpserver.expect_request("/down", method="POST").respond_with_data("no", status=503)
    httpserver.expect_oneshot_request(USAGE_PATH).respond_with_json(usage_body(five_used=95))
    args = ["--db", str(env["db"]), "--at", "2026-11-18T11:06:40Z"]
    run("collect", "--account-dir", str(env["dir"]), "--url", env["usage"], *args, "-q")
    first = run("notify", *args, "--webhook", failing, "--webhook", env["hook"])
    assert first.exit_code == 6
    assert "work: webhook to 127.0.0.1 answered HTTP 503 (will retry on the next run)" in first.stderr
    assert len(env["hooks"]) == 1  # the working channel got it
    second = run("notify", *args, "--webhook", failing, "--webhook", env["hook"])
    assert second.exit_code == 6 and len(env["hooks"]) == 1  # retried the failed one only
    assert len([r for r, _ in httpserver.log if r.path == "/down"]) == 4  # two runs, one retry each


def test_exec_gets_the_fields_and_dry_run_changes_nothing(httpserver, env, tmp_path):
    httpserver.expect_oneshot_request(USAGE_PATH).respond_with_json(usage_body(five_used=95, weekly_used=20))
    args = ["--db", str(env["db"]), "--at", "2026-11-18T11:06:40Z", "--tz", "UTC"]
    run("collect", "--account-dir", str(env["dir"]), "--url", env["usage"], *args, "-q")
    out = tmp_path / "exec.txt"
    command = f'echo "$TRACKER_ACCOUNT $TRACKER_KIND $TRACKER_RULE $TRACKER_REMAINING_PERCENT" >> {out}'
    dry = run("notify", *args, "--exec", command, "--dry-run")
    assert dry.stdout.startswith("would send (exec): Codex work: 5h window 5% left") and not out.exists()
    sent = run("notify", *args, "--exec", command)
    assert sent.exit_code == 0 and out.read_text() == "work five_hour below 5.0\n"
    assert run("notify", *args, "--exec", command).stdout == ""  # same episode: nothing


def test_stale_and_missing_desktop_program(httpserver, env, monkeypatch, tmp_path):
    httpserver.expect_oneshot_request(USAGE_PATH).respond_with_json(usage_body(five_used=10))
    run("collect", "--account-dir", str(env["dir"]), "--url", env["usage"], "--db", str(env["db"]),
        "--at", "2026-11-18T11:06:40Z", "-q")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run("notify", "--db", str(env["db"]), "--at", "2026-11-18T13:06:40Z", "--tz", "UTC",
                 "--stale", "30m", "--desktop")
    assert result.exit_code == 6
    assert result.stderr.strip() == ("tracker: work: desktop notifications need notify-send (Debian/Ubuntu: "
                                     "apt install libnotify-bin) (will retry on the next run)")


@pytest.mark.parametrize("args,code,needle", [
    (["--webhook", "http://example.com/hook"], 4, "webhook: refusing to send notifications over plain http"),
    ([], 2, "name where to send"),
    (["--below", "nan", "--desktop"], 2, "not a finite number"),
])
def test_refusals(env, args, code, needle):
    result = run("notify", "--db", str(env["db"]), *args)
    assert result.exit_code == code and needle in result.stderr


def test_rules_from_the_environment_and_schedule_pass_through(httpserver, env, monkeypatch, tmp_path):
    httpserver.expect_oneshot_request(USAGE_PATH).respond_with_json(usage_body(five_used=85))
    run("collect", "--account-dir", str(env["dir"]), "--url", env["usage"], "--db", str(env["db"]),
        "--at", "2026-11-18T11:06:40Z", "-q")
    monkeypatch.setenv("TRACKER_NOTIFY_BELOW", "20")
    monkeypatch.setenv("TRACKER_NOTIFY_WEBHOOK", env["hook"])
    result = run("notify", "--db", str(env["db"]), "--at", "2026-11-18T11:06:40Z")
    assert result.exit_code == 0 and [h["remaining_percent"] for h in env["hooks"]] == [15.0]
    plan = run("schedule", "install", "--print", "--scheduler", "cron", "--", "--notify", "--desktop",
               "--below", "15")
    assert plan.exit_code == 0 and "--notify --desktop --below 15" in plan.stdout
    assert json.dumps(env["hooks"])  # plain JSON
