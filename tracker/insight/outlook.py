"""How sure the forecast is: the chance a window reaches 100 % before its reset, and the 80 %
range of where it will stand then. Pure arithmetic on the forecast's own figures.

Use at the reset is modelled as normal around the forecast's expectation ``used + expected``
(not capped at 100). Its spread is what remains uncertain: a share of the use still expected
(people work more or less than usual) plus a part that shrinks with the time left (someone idle
may start, someone busy may stop). Where past weeks give a range (the profile's spread of how
weeks differed), that spread is added to a share of the prior (in quadrature). A long window's
whole spread is then narrowed so that 80 % of answers fall inside the range: the 80 % range is
the 10th-90th percentile of that distribution, capped at [used, 100] and never of zero width while
the window is open.

A long window's ``run_out_probability`` is not read off that normal curve alone, which overstated
the risk at every level (of the weekly answers that said 0.4-0.5, 30-34 % ran out; 0.9-1, 84 %;
576 simulated people, ``bench/population.py``). People stop: with a day left, one window in six
saw no more use at all (a day off, the work done), where the curve gives that a few percent. So
the chance is a mixture: the person stops (``STOP_SHARE``, fading with the hours left over
``STOP_HOURS``), or goes on with use at the reset normal around the expectation with
``PROBABILITY_SCALE`` of the spread, and must clear 100 % by ``RUN_OUT_MARGIN``. The verdict "runs
out" is a probability >= 0.5, so the expectation must reach a little over 100 %. A five-hour
window keeps the plain curve (its tenths were within 12-14 points already): there,
``run_out_probability`` >= 0.5 exactly when the expectation reaches 100 %.
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
STOP_SHARE = 0.15  # a long window: the chance to use nothing more, with no time left ... (bench/population.py)
STOP_HOURS = 36.0  # ... fading as exp(-hours left / this)
PROBABILITY_SCALE = 0.7  # the going-on part's spread, as a share of the range's
RUN_OUT_MARGIN = 0.5  # points over 100 the going-on part must reach
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


def run_out_probability(used: float, expected: float, sigma: float,
                        hours_left: float | None = None) -> float | None:
    """P(the window reaches 100 % before its reset): from the normal curve for a five-hour window
    (``hours_left`` None), from the stop-or-go-on mixture for a long one (module docstring). None
    when a figure is not a number (NaN would reach the JSON and compare false everywhere)."""
    mean = used + expected
    if math.isnan(mean) or math.isnan(sigma):
        return None
    if used >= 100.0:
        return 1.0
    if hours_left is None:
        go_on, margin, stop = sigma, 0.0, 0.0
    else:
        go_on, margin = PROBABILITY_SCALE * sigma, RUN_OUT_MARGIN
        stop = STOP_SHARE * math.exp(-max(0.0, hours_left) / STOP_HOURS)
    if go_on <= 0:
        return round(1.0 - stop, 4) if mean >= 100.0 + margin else 0.0
    return _four_places((1.0 - stop) * 0.5 * math.erfc((100.0 + margin - mean) / (go_on * math.sqrt(2))))


def _four_places(p: float) -> float:
    """``p`` to four places, never rounded up to 0.5: 0.49996 is not "runs out" (the verdict, the
    notice and Prometheus all read p >= 0.5, and the forecast saw no crossing of 100 %)."""
    rounded = round(p, 4)
    return 0.4999 if p < 0.5 <= rounded else rounded


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
