"""The run-out probability and the 80 % range: consistent with the verdict, monotone, honest."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.insight import outlook


@given(used=st.floats(0, 99.9), expected=st.floats(0, 300), left=st.floats(0.001, 1),
       band=st.none() | st.tuples(st.floats(0, 1), st.floats(1, 3)))
@settings(max_examples=200, deadline=None)
def test_probability_matches_the_verdict_and_the_range_is_never_empty(used, expected, left, band):
    sigma = outlook.spread(expected, left, band)
    p = outlook.run_out_probability(used, expected, sigma)
    low, high = outlook.range80(used, expected, sigma)
    assert 0.0 <= p <= 1.0
    if used + expected >= 100.0 + 1e-9:
        assert p >= 0.5  # "runs out" is p >= 0.5, the same rule as the expectation reaching 100 %
    elif used + expected < 100.0 - 1e-6:
        assert p < 0.5
    assert used - 1e-9 <= low < high <= 100.0  # within [used, 100] and never zero-width while open


@pytest.mark.parametrize("used", [40.0, 50.0, 80.0, 95.0])
def test_more_use_means_more_chance(used):
    sigma = outlook.spread(20.0, 0.5)
    assert outlook.run_out_probability(used, 20.0, sigma) < outlook.run_out_probability(used + 4, 20.0, sigma)


def test_a_full_window_ahead_keeps_a_spread_even_when_idle():
    # idle now (nothing expected), but the whole week is ahead: someone who starts may run out
    sigma = outlook.spread(0.0, 1.0)
    assert sigma == pytest.approx(outlook.OPEN_WINDOW_POINTS * outlook.LONG_WINDOW_SCALE)
    assert outlook.run_out_probability(95.0, 0.0, sigma) > 0.2
    assert outlook.run_out_probability(10.0, 0.0, sigma) < 1e-6


def test_past_weeks_narrow_the_range_but_never_to_nothing():
    prior = outlook.spread(40.0, 0.5)
    narrow = outlook.spread(40.0, 0.5, (0.99, 1.01))  # past weeks all alike: a share of the prior stays
    assert narrow == pytest.approx(outlook.PRIOR_WITH_HISTORY * prior, rel=0.01)
    assert outlook.spread(40.0, 0.5, (0.2, 2.5)) > narrow


@given(used=st.floats(0, 99.9), expected=st.floats(0, 300), hours=st.floats(0, 24 * 40),
       sigma=st.floats(0, 80))
@settings(max_examples=300, deadline=None)
def test_a_long_windows_chance_weighs_in_that_people_stop(used, expected, hours, sigma):
    p = outlook.run_out_probability(used, expected, sigma, hours)
    stop = outlook.STOP_SHARE * 2.718281828459045 ** (-hours / outlook.STOP_HOURS)
    assert 0.0 <= p <= 1.0 - stop + 1e-4  # whoever stops now does not run out
    if p >= 0.5:  # "runs out" needs the expectation past 100 % by the margin: at 100, the odds are under even
        assert used + expected > 100.0 + outlook.RUN_OUT_MARGIN - 1e-6
    more = outlook.run_out_probability(min(99.9, used + 1), expected, sigma, hours)
    assert more >= p - 1e-4  # more used, never less chance


def test_a_long_windows_chance_on_the_simulated_population():
    # A day and a half left, the expectation well past 100 %: the going-on part is sure, but one
    # person in nine or so uses nothing more (576 simulated people: of the weekly answers that
    # said 0.9-1 on the plain curve, 84 % ran out). At the reset's doorstep the stop share is 15 %.
    sigma = 5.0
    assert outlook.run_out_probability(90.0, 40.0, sigma, 36.0) == pytest.approx(1 - 0.15 / 2.718281828459045, abs=1e-3)
    assert outlook.run_out_probability(90.0, 40.0, sigma, 0.0) == pytest.approx(0.85, abs=1e-3)
    # the expectation at exactly 100 %: "may run out" (the plain curve, the five-hour one, says 0.5)
    assert outlook.run_out_probability(90.0, 10.0, sigma, 24.0) < 0.5 == outlook.run_out_probability(90.0, 10.0, sigma)
