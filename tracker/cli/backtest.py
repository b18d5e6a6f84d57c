"""``tracker backtest``: how good the forecast is on the person's own history."""

from __future__ import annotations

from datetime import timedelta

import click

from tracker.cli import params
from tracker.cli.common import resolve_period, utcnow
from tracker.cli.options import db_option, names_argument, open_store, require_known, tz_option


@click.command()
@names_argument
@click.option("--since", type=params.When(), default="28d", show_default=True, metavar="WHEN",
              help="Replay from this moment (ISO time or a duration ago).")
@click.option("--until", type=params.When(), metavar="WHEN", help="Replay up to this moment (default: now).")
@click.option("--every", type=params.Duration(timedelta(minutes=5)), default="1h", show_default=True,
              metavar="DURATION", help="Time between replayed steps (at least 5m).")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--calibration", "show_calibration", is_flag=True,
              help="Also show, per tenth of the run-out probability, how often it really ran out.")
@db_option
@tz_option
def backtest(names, since, until, every, as_json, show_calibration, db, tz) -> None:
    """How good is the forecast on your own data? Replay the history and score it.

    At every step it asks the forecast what it would have said with only the data up to then,
    and compares with where the window stood at its reset. Error: mean absolute error of the
    projected used % at reset (points); right: share of right verdicts (runs out / lasts) in the
    last 48 h before resets whose outcome was clear (100 %, or at most 85 %) and still open;
    brier: the run-out probability's mean squared error there; in 80% range: how often the truth
    fell inside the range. The w-avg columns score the window's plain average pace (used ÷
    elapsed, carried to the reset). The usual week is kept on the clock of --tz. --calibration
    adds, per tenth of the run-out probability, how many late answers said it and how many of
    them really ran out (all outcomes; --json always has it).

    \b
    Example:
        tracker backtest --since 60d
        tracker backtest work --every 2h --json
        tracker backtest --since 90d --calibration
    """
    from tracker import render
    from tracker.errors import NoDataError
    from tracker.insight.backtest import (
        backtest_json,
        backtest_table,
        calibration_table,
        run_backtest,
    )

    now = utcnow()
    since_at, until_at = resolve_period(since, until, now, tz, default_until=now)
    with open_store(db, readonly=True) as store:
        require_known(store, names)
        scores = run_backtest(store, tuple(names), since_at, until_at, every, tz=tz)
    if not scores:
        raise NoDataError("no window ended within the period: widen --since, or collect for longer")
    if as_json:
        click.echo(render.to_json(backtest_json(scores, since_at, until_at, every)))
        return
    click.echo(backtest_table(scores))
    if show_calibration:
        click.echo("\nrun-out probability on this history: of the late answers that said it, how many ran out"
                   " (the same when calibrated):")
        click.echo(calibration_table(scores))
