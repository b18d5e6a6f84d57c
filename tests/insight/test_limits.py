"""The price of one percent (tracker.insight.limits), table-driven on hand-made readings."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.insight.limit_changes import changes_between, find_changes
from tracker.insight.limits import (
    Interval,
    combined,
    intervals,
    week_figures,
)
from tracker.points import Point
from tracker.records import TokenCounts

T0 = datetime(2026, 10, 5, 9, tzinfo=UTC)


def minutes(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


def test_the_combined_weighting_is_the_documented_one():
    assert combined(TokenCounts(input=1000, cached_input=800, output=10, reasoning_output=5)) == 200 + 80 + 80


def test_intervals_never_span_a_reset_and_count_tokens_in_their_half_open_span():
    reset1, reset2 = minutes(60), minutes(60 + 300)
    points = [Point(minutes(0), 10, reset1), Point(minutes(10), 12, reset1), Point(minutes(70), 1, reset2),
              Point(minutes(80), 3, reset2)]
    uses = [(minutes(0), TokenCounts(input=999)), (minutes(5), TokenCounts(input=10)), (minutes(10), TokenCounts(input=20)),
            (minutes(70), TokenCounts(input=40)), (minutes(80), TokenCounts(input=80))]
    got = [(i.start, i.end, i.rise, i.tokens.input, i.local) for i in intervals(points, 18000, uses)]
    assert got == [(minutes(0), minutes(10), 2, 30, True), (minutes(70), minutes(80), 2, 80, True)]


@pytest.mark.parametrize(("elsewhere", "share", "priced"), [(3.0, 11 / 19, False), (1.0, 11 / 17, True)])
def test_the_explained_share_counts_long_intervals_only_as_far_as_their_tokens_go(elsewhere, share, priced):
    tok = TokenCounts(input=100_000, cached_input=0, output=0)  # 100k combined
    items = [Interval(minutes(10 * n), minutes(10 * n + 10), 1.0, tok) for n in range(10)]  # 10 % at 100k/%
    items.append(Interval(minutes(200), minutes(400), 6.0, tok))  # 3 h 20 m: 6 % but tokens for 1 %
    items.append(Interval(minutes(400), minutes(405), elsewhere, TokenCounts()))  # no tokens here: elsewhere
    week = week_figures(items, "weekly", T0 - timedelta(days=1), T0 + timedelta(days=6))
    assert week.rise == 16 + elsewhere and week.local_rise == 10
    assert week.explained_share == pytest.approx(share)
    if priced:
        assert week.weak is None and week.per_percent["combined"] == 100_000 and week.per_percent["input"] == 100_000
    else:
        assert week.per_percent is None and "explain 58 %" in week.weak


def daily(prices: list[float], rise: float = 10.0) -> list[Interval]:
    """One local interval per day: ``rise`` percent at the day's price (tokens per percent)."""
    return [Interval(T0 + timedelta(days=d), T0 + timedelta(days=d, minutes=20), rise,
                     TokenCounts(input=round(price * rise))) for d, price in enumerate(prices)]


def noisy(n: int, price: float, rng: random.Random) -> list[float]:
    return [price * math.exp(rng.gauss(0, 0.12)) for _ in range(n)]


@pytest.mark.parametrize(("factor", "ratio"), [(0.5, 0.5), (2.0, 2.0)])
def test_a_cut_or_a_raise_is_found_at_its_day_with_its_ratio(factor, ratio):
    rng = random.Random(4)
    items = daily(noisy(15, 200_000, rng) + noisy(4, 200_000 * factor, rng))
    [change] = find_changes(items, "a", "codex", "weekly")
    assert change.at == items[15].end and change.last_before_at == items[14].end
    assert change.ratio == pytest.approx(ratio, rel=0.15)
    assert change.evidence["days_before"] == 15 and change.evidence["days_after"] == 4
    assert changes_between([change], change.at, change.at) == [change]
    assert changes_between([change], change.at + timedelta(seconds=1), change.at + timedelta(days=1)) == []


@pytest.mark.parametrize("seed", range(20))
def test_day_to_day_scatter_alone_is_no_change(seed):
    assert find_changes(daily(noisy(40, 200_000, random.Random(seed))), "a", "codex", "weekly") == []


def test_a_change_needs_two_days_after_it():
    rng = random.Random(1)
    prices = noisy(15, 200_000, rng) + [100_000]
    assert find_changes(daily(prices), "a", "codex", "weekly") == []
    assert len(find_changes(daily([*prices, 100_000]), "a", "codex", "weekly")) == 1


def test_days_with_little_rise_do_not_vote():
    rng = random.Random(2)
    items = daily(noisy(15, 200_000, rng)) + [
        Interval(T0 + timedelta(days=15 + d), T0 + timedelta(days=15 + d, minutes=20), 1.0, TokenCounts(input=50_000))
        for d in range(5)]  # 1 % a day: below the day's minimum, whatever its price
    assert find_changes(items, "a", "codex", "weekly") == []


def test_a_monthly_window_is_priced_with_its_own_minimum():
    tok = TokenCounts(input=100_000)
    items = [Interval(minutes(10 * n), minutes(10 * n + 10), 1.0, tok) for n in range(4)]
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=6)
    assert week_figures(items, "monthly", start, end).per_percent["combined"] == 100_000
    assert week_figures(items[:2], "monthly", start, end).weak == "only 2 % of local rise (needs 3)"
    assert week_figures(items, "weekly", start, end).weak == "only 4 % of local rise (needs 5)"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20_000), st.floats(0, 100), st.integers(0, 3)), max_size=60),
       st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 10**6)),
                max_size=60))
def test_any_readings_and_counts_give_figures_never_an_error(readings, counts):
    """Readings in any order, repeated times, drops, resets that come and go; counts of any size."""
    from tracker.insight.limit_changes import window_limits

    points = [Point(minutes(m), used, minutes(300 * (1 + r))) for m, used, r in readings]
    uses = [(minutes(m), TokenCounts(i, min(c, i), o, o // 2)) for m, i, c, o in counts]
    result = window_limits("a", "codex", "five_hour", 18000, points, uses, T0 - timedelta(days=1),
                           T0 + timedelta(days=15))
    for week in result.weeks:
        assert (week.per_percent is None) != (week.weak is None)
        assert week.explained_share is None or 0 <= week.explained_share <= 1
    assert all(c.ratio > 0 for c in result.changes)
