"""How sure the forecast is: the chance a window reaches 100 % before its reset, and the 80 %
range of where it will stand then. Pure arithmetic on the forecast's own figures.

Use at the reset is modelled as normal around the forecast's expectation ``used + expected``
(not capped at 100). Its spread is what remains uncertain: a share of the use still expected
(people work more or less than usual) plus a part that shrinks with the time left (someone idle
may start, someone busy may stop). Where past weeks give a range (the profile's spread of how
weeks differed), that spread is added to a share of the prior (in quadrature). A long window's
whole spread is then narrowed so that 80 % of answers fall inside the range. So
``run_out_probability`` >= 0.5 exactly when the expectation reaches 100 % (the verdict "runs
out"), and the 80 % range is the 10th-90th percentile of that distribution, capped at [used, 100]
and never of zero width while the window is open.
"""

from __future__ import annotations

import math

Z80 = 1.2815515655446004  # the 90th percentile of the standard normal: 80 % lie within +-Z80
SHARE_OF_EXPECTED = 0.45  # spread of the use still expected, as a share of it
OPEN_WINDOW_POINTS = 12.0  # spread with a whole window ahead, in points, shrinking with sqrt(time left)
MIN_WIDTH = 0.5  # points: an open window's range is never a single value
PERSONAL_SCALE = 0.8  # the profile's range of past weeks, narrowed to cover 80 % (measured: bench/population.py)
PRIOR_WITH_HISTORY = 0.4  # with past weeks, their spread and this share of the prior add (in quadrature)
SHORT_WINDOW_SCALE = 0.88  # a five-hour window's prior spread (its expectation already ends the session)
LONG_WINDOW_SCALE = 0.85  # a long window's whole spread: 80 % of answers inside the range (bench/population.py)


def spread(expected: float, fraction_left: float, band: tuple[float, float] | None = None,
           long_window: bool = True) -> float:
    """Standard deviation (points) of use at the reset; ``band`` = the profile's (low, high) factors."""
    prior = SHARE_OF_EXPECTED * max(expected, 0.0) + OPEN_WINDOW_POINTS * math.sqrt(max(0.0, min(1.0, fraction_left)))
    if not long_window:
        prior *= SHORT_WINDOW_SCALE
    if band is None or expected <= 0:
        return prior * (LONG_WINDOW_SCALE if long_window else 1.0)
    personal = PERSONAL_SCALE * expected * (band[1] - band[0]) / (2 * Z80)
    return LONG_WINDOW_SCALE * math.hypot(personal, PRIOR_WITH_HISTORY * prior)


def run_out_probability(used: float, expected: float, sigma: float) -> float:
    """P(use at the reset >= 100 %)."""
    mean = used + expected
    if used >= 100.0:
        return 1.0
    if sigma <= 0:
        return 1.0 if mean >= 100.0 else 0.0
    return round(0.5 * math.erfc((100.0 - mean) / (sigma * math.sqrt(2))), 4)


def range80(used: float, expected: float, sigma: float) -> tuple[float, float]:
    """The 10th and 90th percentiles of use at the reset, within [used, 100], never zero-width."""
    mean = used + expected
    low = min(100.0, max(used, mean - Z80 * sigma))
    high = min(100.0, max(used, mean + Z80 * sigma))
    if high - low < MIN_WIDTH:
        if high >= 100.0:
            low = max(used, 100.0 - MIN_WIDTH)
        else:
            high = min(100.0, low + MIN_WIDTH)
    return low, high
