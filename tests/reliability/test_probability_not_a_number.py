"""A run-out probability from figures that are not numbers is no answer, never NaN (NaN is not
JSON, and every ``p >= 0.5`` reads it as false)."""

from __future__ import annotations

import math

import pytest

from tracker.insight import outlook

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("hours_left", [None, 30.0])
@pytest.mark.parametrize(("expected", "sigma"), [(NAN, 5.0), (10.0, NAN), (NAN, NAN)])
def test_not_a_number_in_is_no_probability_out(expected, sigma, hours_left):
    assert outlook.run_out_probability(50.0, expected, sigma, hours_left) is None


@pytest.mark.parametrize(("expected", "sigma", "hours_left"), [
    (INF, 5.0, 10.0), (10.0, INF, 10.0), (-INF, 5.0, 10.0), (10.0, 5.0, INF), (10.0, 5.0, NAN),
    (1e308, 1e-308, 0.0), (-1e308, 1e308, 1e308)])
def test_infinite_and_huge_figures_give_a_probability_between_0_and_1(expected, sigma, hours_left):
    p = outlook.run_out_probability(50.0, expected, sigma, hours_left)
    assert p is not None and not math.isnan(p) and 0.0 <= p <= 1.0
