"""The notification rules, pure: episodes, hysteresis, resets, stale data, per-channel memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tracker.insight.forecast import Forecast
from tracker.insight.report import AccountReport, LastError, Report, WindowReport
from tracker.notify.rules import Key, Rules, Sent, plan_notifications
from tracker.points import SeriesKey

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
RESET = NOW + timedelta(hours=2)


def report(remaining: float, *, stale=False, error=None, exhausts=False, reset=RESET, last=NOW) -> Report:
    figures = Forecast(100 - remaining, remaining, reset, last, 5.0, 1.0,
                            NOW + timedelta(hours=1) if exhausts else None, exhausts)
    account = AccountReport("work", "plus", last, stale, error,
                            [WindowReport(SeriesKey("work", "codex", "five_hour", 18000), figures)])
    return Report(NOW, [account])


def sent(rule: str, channel="desktop", reset=RESET) -> Sent:
    return Sent(Key("work", "codex", "five_hour", rule), channel, NOW - timedelta(hours=1), reset)


def test_below_starts_an_episode_for_every_channel_not_yet_told():
    plan = plan_notifications(report(7), Rules(), [sent("below", "webhook:x")], ["desktop", "webhook:x"], UTC)
    assert [(n.key.rule, c) for n, c in plan.send] == [("below", "desktop")]
    assert plan.forget == []


def test_hysteresis_keeps_the_episode_until_clear_by_five_points():
    rules = Rules(below=10)
    assert plan_notifications(report(14), rules, [sent("below")], ["desktop"], UTC).forget == []
    cleared = plan_notifications(report(15.5), rules, [sent("below")], ["desktop"], UTC)
    assert cleared.forget == [(Key("work", "codex", "five_hour", "below"), "desktop")] and cleared.send == []
    assert plan_notifications(report(14), rules, [], ["desktop"], UTC).send == []  # not low: nothing new


def test_on_reset_announces_a_window_available_again_once():
    after = report(100, reset=NOW + timedelta(hours=5))
    plan = plan_notifications(after, Rules(on_reset=True), [sent("below", reset=NOW - timedelta(minutes=1))],
                              ["desktop"], UTC)
    assert [(n.key.rule, n.message) for n, _ in plan.send] == [
        ("reset", "Codex work: 5h window reset, 100% available again")]
    quiet = plan_notifications(after, Rules(on_reset=False), [sent("below", reset=NOW - timedelta(minutes=1))],
                               ["desktop"], UTC)
    assert quiet.send == [] and len(quiet.forget) == 1


def test_before_reset_and_stale_with_login_hint():
    plan = plan_notifications(report(60, exhausts=True), Rules(before_reset=True), [], ["desktop"], UTC)
    assert plan.send[0][0].message == ("Codex work: 5h window expected to run out 11:00, before its reset "
                                       "at 12:00 (in 2h 00m)")
    error = LastError("expired", NOW - timedelta(hours=3), NOW, None, "token at /home/me/.codex/auth.json expired")
    stale = report(60, stale=True, error=error, last=NOW - timedelta(hours=3))
    notice = plan_notifications(stale, Rules(stale=timedelta(minutes=30)), [], ["desktop"], UTC).send[-1][0]
    assert notice.message == "Codex work: no fresh data since 07:00 (expired: run `codex login`)"
    assert "auth.json" not in notice.message  # never the raw error text


def test_payload_fields():
    notice = plan_notifications(report(7), Rules(), [], ["d"], UTC).send[0][0]
    payload = notice.payload()
    assert set(payload) == {"account", "limit", "kind", "rule", "message", "text", "used_percent",
                            "remaining_percent", "reset_at", "exhausts_at"}
    assert payload["text"] == payload["message"] and payload["reset_at"] == "2026-11-20T12:00:00Z"
    assert replace(notice, message="x").payload()["text"] == "x"


def test_before_reset_episode_holds_while_the_projection_stays_near_100():
    near = report(30)
    near.accounts[0].windows[0].figures.projected = 97.0
    rules = Rules(below=None, before_reset=True)
    assert plan_notifications(near, rules, [sent("before_reset")], ["desktop"], UTC).forget == []
    near.accounts[0].windows[0].figures.projected = 90.0
    assert len(plan_notifications(near, rules, [sent("before_reset")], ["desktop"], UTC).forget) == 1


def test_an_early_reset_is_announced_too():
    early = report(100, reset=RESET + timedelta(days=7))  # the announced reset is still ahead: it came early
    plan = plan_notifications(early, Rules(on_reset=True), [sent("below")], ["desktop"], UTC)
    assert [n.key.rule for n, _ in plan.send] == ["reset"]


def test_a_window_past_its_reset_raises_no_alert():
    past = report(5)
    past.accounts[0].windows[0].figures.reset_since_last_snapshot = True
    assert plan_notifications(past, Rules(), [], ["desktop"], UTC).send == []


def test_a_limit_change_notifies_once_per_change_and_clears_after_two_weeks():
    from tracker.insight.limit_changes import LimitChange

    def change(days_ago: float, days_after: int = 3) -> LimitChange:
        return LimitChange("work", "codex", "weekly", NOW - timedelta(days=days_ago), NOW - timedelta(days=days_ago + 1),
                           0.5, 200_000, 100_000, {"days_after": days_after})

    rules = Rules(below=None, limit_change=True)
    first = plan_notifications(report(50), rules, [], ["desktop"], UTC, [change(3)])
    [(notice, _)] = first.send
    assert notice.key == Key("work", "codex", "weekly@2026-11-17", "limit_change")
    assert "weekly limit cut" in notice.message and "2.0x more" in notice.message
    told = [Sent(notice.key, "desktop", NOW)]
    redated = plan_notifications(report(50), rules, told, ["desktop"], UTC, [change(1.5)])  # found again, a day later
    assert redated.send == [] and redated.forget == []
    other = plan_notifications(report(50), rules, told, ["desktop"], UTC, [change(3), change(10 + 3)])
    assert [n.key.kind for n, _ in other.send] == ["weekly@2026-11-07"]  # another change, ten days before
    gone = plan_notifications(report(50), rules, told, ["desktop"], UTC, [change(15)])
    assert gone.send == [] and gone.forget == [(notice.key, "desktop")]  # over two weeks old: the episode ends
    assert plan_notifications(report(50), Rules(below=None), [], ["desktop"], UTC, [change(3)]).send == []
    assert plan_notifications(report(50), rules, [], ["desktop"], UTC, [change(3, days_after=2)]).send == []
