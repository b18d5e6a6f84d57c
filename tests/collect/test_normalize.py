"""Every response variant in api-notes, table-driven, plus 'no JSON value makes it raise'."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fixtures import NOW, usage_body
from tracker.collect.normalize import Unreadable, normalize_payload, parse_payload

REF = datetime.fromtimestamp(NOW, tz=UTC)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def summary(payload) -> list[tuple]:
    usage = normalize_payload(payload, REF)
    assert usage.parsed, usage.problem
    return [(w.limit, w.kind, w.window_seconds, w.used_percent, w.reset_at) for w in usage.windows]


CASES = {
    "current shape": (
        usage_body(42, 17),
        [("codex", "five_hour", 18000, 42.0, at(NOW + 7200)), ("codex", "weekly", 604800, 17.0, at(NOW + 400000))],
    ),
    "rate_limits container, short keys, ms reset": (
        {"plan_type": "pro", "rate_limits": {
            "five_hour": {"used_percent": 5.5, "reset_time_ms": (NOW + 60) * 1000},
            "weekly": {"used_percent": 1, "reset_at": NOW + 600}}},
        [("codex", "five_hour", None, 5.5, at(NOW + 60)), ("codex", "weekly", None, 1.0, at(NOW + 600))],
    ),
    "_limit keys with percent_left": (
        {"rate_limit": {"five_hour_limit": {"percent_left": 80, "limit_window_seconds": 18000},
                        "weekly_limit": {"percent_left": 30, "limit_window_seconds": 604800}}},
        [("codex", "five_hour", 18000, 20.0, None), ("codex", "weekly", 604800, 70.0, None)],
    ),
    "_rate_limit keys with remaining_percent and relative reset": (
        {"rate_limit": {"five_hour_rate_limit": {"remaining_percent": 100, "reset_after_seconds": 30},
                        "weekly_rate_limit": {"remaining_percent": 0, "reset_after_seconds": 90}}},
        [("codex", "five_hour", None, 0.0, at(NOW + 30)), ("codex", "weekly", None, 100.0, at(NOW + 90))],
    ),
    "primary/secondary keys": (
        {"rate_limit": {"primary": {"used_percent": 3, "limit_window_seconds": 18000},
                        "secondary": {"used_percent": 4, "limit_window_seconds": 604800}}},
        [("codex", "five_hour", 18000, 3.0, None), ("codex", "weekly", 604800, 4.0, None)],
    ),
    "window wrapping its data in primary_window": (
        {"rate_limit": {"five_hour": {"primary_window": {"used_percent": 9, "reset_at": NOW + 5}}}},
        [("codex", "five_hour", None, 9.0, at(NOW + 5))],
    ),
    "remaining clamps to 0..100": (
        {"rate_limit": {"primary": {"percent_left": 140}, "secondary": {"remaining_percent": -20}}},
        [("codex", "five_hour", None, 0.0, None), ("codex", "weekly", None, 100.0, None)],
    ),
    "single weekly-length window under primary is weekly": (
        {"rate_limit": {"primary_window": {"used_percent": 50, "limit_window_seconds": 604800},
                        "secondary_window": None}},
        [("codex", "weekly", 604800, 50.0, None)],
    ),
    "both windows labelled alike: the longer is weekly": (
        {"rate_limit": {"primary": {"used_percent": 1, "limit_window_seconds": 700000},
                        "secondary": {"used_percent": 2, "limit_window_seconds": 604800}}},
        [("codex", "five_hour", 604800, 2.0, None), ("codex", "weekly", 700000, 1.0, None)],
    ),
    "30-minute window is other": (
        {"rate_limit": {"primary_window": {"used_percent": 10, "limit_window_seconds": 1800}}},
        [("codex", "other", 1800, 10.0, None)],
    ),
    "rate_limit null": ({"plan_type": "free", "rate_limit": None}, []),
    "string numbers": (
        {"rate_limit": {"primary": {"used_percent": "12.5", "reset_at": str(NOW + 1)}}},
        [("codex", "five_hour", None, 12.5, at(NOW + 1))],
    ),
    "reset in 1970 or 3000 is dropped, window kept": (
        {"rate_limit": {"primary": {"used_percent": 1, "reset_at": 5},
                        "secondary": {"used_percent": 2, "reset_at": 32503680000}}},
        [("codex", "five_hour", None, 1.0, None), ("codex", "weekly", None, 2.0, None)],
    ),
    "session-log rate_limits (minutes, resets_at, limit_id)": (
        {"rate_limits": {"limit_id": "codex", "primary": {"used_percent": 2.0, "window_minutes": 300,
                                                            "resets_at": NOW + 100},
                         "secondary": {"used_percent": 25.0, "window_minutes": 10080, "resets_in_seconds": 50},
                         "credits": None, "plan_type": "plus"}},
        [("codex", "five_hour", 18000, 2.0, at(NOW + 100)), ("codex", "weekly", 604800, 25.0, at(NOW + 50))],
    ),
}


@pytest.mark.parametrize("payload,expected", CASES.values(), ids=CASES.keys())
def test_variants(payload, expected):
    assert summary(payload) == expected


@pytest.mark.parametrize("used", [1e308, -1e9, 1001])
def test_an_impossible_percentage_is_not_understood_rather_than_an_alert(used):
    usage = normalize_payload({"rate_limit": {"primary": {"used_percent": used}}}, REF)
    assert not usage.parsed and "not plausible" in usage.problem


def test_additional_limits_and_extras():
    body = usage_body(10, 20)
    body["additional_rate_limits"] = [
        {"limit_name": "gpt-5-codex-mini", "metered_feature": "x",
         "rate_limit": {"primary_window": {"used_percent": 7, "limit_window_seconds": 18000}}},
        {"metered_feature": "code_review",
         "rate_limit": {"primary_window": {"used_percent": 3, "limit_window_seconds": 1800}}},
        "junk",
    ]
    body["rate_limit_reached_type"] = {"type": "workspace_member_usage_limit_reached"}
    body["credits"]["balance"] = 12.5
    usage = normalize_payload(body, REF)
    assert [(w.limit, w.kind, w.used_percent) for w in usage.windows] == [
        ("codex", "five_hour", 10.0), ("codex", "weekly", 20.0),
        ("gpt-5-codex-mini", "five_hour", 7.0), ("code_review", "other", 3.0),
    ]
    assert usage.reached_type == "workspace_member_usage_limit_reached"
    assert usage.credits_balance == "12.5"
    assert usage.plan == "plus"
    assert usage.limit_reached is False
    assert usage.windows[0].remaining_percent == 90.0


def test_relative_reset_uses_reference_time():
    later = REF + timedelta(minutes=5)
    usage = normalize_payload({"rate_limit": {"primary": {"used_percent": 1, "reset_after_seconds": 60}}}, later)
    assert usage.windows[0].reset_at == later + timedelta(seconds=60)


@pytest.mark.parametrize("payload", [
    None, [], "x", 3, {"detail": "Unauthorized"}, {"rate_limit": [1, 2]},
    {"rate_limit": {"primary": "full"}}, {"rate_limit": {"primary": {"used_percent": "lots"}}},
    {"rate_limit": {"primary": {"used_percent": math.nan}}}, {"rate_limit": {"primary": {}}},
    {"rate_limit": {"primary": {"used_percent": True}}},
])
def test_unknown_shapes_are_reported_not_raised(payload):
    usage = normalize_payload(payload, REF)
    assert not usage.parsed
    assert usage.problem
    assert usage.windows == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
window_keys = st.sampled_from(["primary", "secondary", "primary_window", "five_hour", "weekly_limit",
                               "used_percent", "percent_left", "reset_at", "reset_after_seconds",
                               "limit_window_seconds", "window_minutes", "rate_limit", "rate_limits",
                               "additional_rate_limits", "rate_limit", "credits", "limit_name"])
shaped = st.recursive(
    json_values,
    lambda children: st.dictionaries(window_keys, children, max_size=5) | st.lists(children, max_size=3),
    max_leaves=30,
)


def understood_or_refused(payload):
    """The strict parser either understands a payload or says why not: any other exception is
    an internal crash (which ``normalize_payload``'s safety net would hide), and fails."""
    try:
        usage = parse_payload(payload, REF)
    except Unreadable:
        return
    for window in usage.windows:
        assert 0.0 <= window.used_percent <= 100.0
        assert window.kind in ("five_hour", "weekly", "other")
        assert window.window_seconds is None or 0 < window.window_seconds <= 2**31 - 1
    json.dumps([w.limit for w in usage.windows])
    assert normalize_payload(payload, REF).parsed


@settings(max_examples=400, deadline=None)
@given(st.one_of(json_values, shaped))
def test_no_json_value_makes_it_raise(payload):
    understood_or_refused(payload)


def test_the_property_fails_when_the_normaliser_crashes_inside(monkeypatch):
    import tracker.collect.normalize

    def buggy(entry):
        raise KeyError("a bug")

    monkeypatch.setattr(tracker.collect.normalize, "_window_seconds", buggy)
    payload = {"rate_limit": {"primary_window": {"used_percent": 1}}}
    assert normalize_payload(payload, REF).problem  # the safety net hides it from users...
    with pytest.raises(KeyError):  # ...but not from the property test
        understood_or_refused(payload)
