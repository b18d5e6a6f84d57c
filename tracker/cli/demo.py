"""A realistic synthetic history, written through the same storage code as ``collect``.

Work-day bursts and idle nights, five-hour windows that start at first use and reset five hours
later, a weekly window (one account nearly runs it out), weeks of different intensity (a few run
out, most do not: something for ``tracker backtest`` to check), a collection gap, and one account
whose token expired a day before the end. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import click

from tracker.cli import params
from tracker.cli.common import utcnow
from tracker.cli.options import tz_option
from tracker.kinds import FIVE_HOUR, MAIN_LIMIT, WEEKLY
from tracker.records import AccountInfo, FailureRecord, SnapshotRecord, Usage, Window

NAMES = ["work", "personal", "research", "side-project", "team-a", "team-b", "ci-bot", "review"]
FIVE_H = timedelta(hours=5)
WEEK = timedelta(days=7)
BATCH = 5000


@dataclass
class DemoSummary:
    accounts: list[str]
    snapshots: int
    failures: int


@dataclass(frozen=True)
class Scenario:
    """The story the demo tells: who, over which period, when collection stopped, whose token expired."""

    names: list[str]
    start: datetime
    end: datetime
    gap: tuple[datetime, datetime] | None  # hours without collection, for every account
    expired: str | None  # this account's token expires a day before the end
    expires_at: datetime

    @classmethod
    def of(cls, accounts: int, days: float, end: datetime) -> Scenario:
        names = account_names(accounts)
        gap_start = end - timedelta(days=min(2.5, days / 2))
        return cls(names, end - timedelta(days=days), end,
                   (gap_start, gap_start + timedelta(hours=5)) if days >= 1 else None,
                   names[-1] if accounts >= 2 else None, end - timedelta(days=min(1.0, days / 4)))


def account_names(count: int) -> list[str]:
    if count <= len(NAMES):
        return NAMES[:count]
    return [f"acct{i:02d}" for i in range(count)]


def _activity(local: datetime) -> float:
    """How likely a Codex session is to start at this local time (0 = asleep)."""
    hour, weekend = local.hour, local.weekday() >= 5
    if weekend:
        return 0.25 if 10 <= hour < 20 else 0.0
    if 9 <= hour < 12 or 13 <= hour < 18:
        return 1.0
    if 19 <= hour < 23:
        return 0.3
    return 0.0


def _body(plan: str, used5: float, reset5: int, after5: int, usedw: float, resetw: int, afterw: int) -> bytes:
    return (
        f'{{"plan_type":"{plan}","rate_limit":{{"allowed":true,"limit_reached":{str(used5 >= 100).lower()},'
        f'"primary_window":{{"used_percent":{used5:g},"limit_window_seconds":18000,'
        f'"reset_after_seconds":{after5},"reset_at":{reset5}}},'
        f'"secondary_window":{{"used_percent":{usedw:g},"limit_window_seconds":604800,'
        f'"reset_after_seconds":{afterw},"reset_at":{resetw}}}}},'
        f'"credits":{{"has_credits":false,"unlimited":false,"balance":"0"}}}}'
    ).encode()


class _Account:
    def __init__(self, name: str, index: int, rng: random.Random, start: datetime, end: datetime, plan: str) -> None:
        self.name, self.plan, self.rng, self.end, self.heavy = name, plan, rng, end, index == 0
        self.rate = rng.uniform(12, 30)  # five-hour % per active hour
        self.session = False
        self.used5 = 0.0
        self.reset5: datetime | None = None
        self.usedw = rng.uniform(0, 20)
        if index == 0:  # heavy user whose week ends the day after the demo: it nearly runs out
            self.weekly_factor = 0.3
            self.resetw = start + (end + timedelta(hours=20) - start) % WEEK
        else:
            self.weekly_factor = rng.uniform(0.06, 0.14)
            self.resetw = start + timedelta(seconds=rng.uniform(1, 7) * 86400)
        self.intensity, self.careful = self.week_intensity()

    def week_intensity(self) -> tuple[float, bool]:
        """How heavy the week ending at ``resetw`` is, and whether the user slows down near the
        limit. Drawn from its own generator (keyed by account and week), so the sessions stay as
        they were; the heavy account's last week is always a full one."""
        if self.heavy and self.resetw >= self.end:
            return 1.0, True
        rng = random.Random(f"{self.name}:{int(self.resetw.timestamp())}")
        return rng.choice([0.5, 0.8, 1.0, 1.0, 1.3, 1.8]), rng.random() < 0.6

    def step(self, t: datetime, hours: float, tz: tzinfo) -> None:
        if self.reset5 is not None and t >= self.reset5:
            self.used5, self.reset5 = 0.0, None
        while t >= self.resetw:
            self.usedw, self.resetw = 0.0, self.resetw + WEEK
            self.intensity, self.careful = self.week_intensity()
        activity = _activity(t.astimezone(tz))
        if self.session:
            self.session = self.rng.random() > 0.2 * hours * 12 or activity == 0
            self.session = self.session and activity > 0
        elif self.rng.random() < 0.15 * activity * hours * 12:
            self.session = True
        if not self.session or self.used5 >= 100 or self.usedw >= 100:
            return
        use = self.rate * hours * self.rng.uniform(0.3, 1.7)
        if self.usedw > 90 and self.careful:
            use *= 0.02  # the user sees the weekly limit coming and nearly stops
        if self.reset5 is None:
            self.reset5 = t + FIVE_H
        self.used5 = min(100.0, self.used5 + use)
        self.usedw = min(100.0, self.usedw + use * self.weekly_factor * self.intensity)

    def snapshot(self, t: datetime) -> SnapshotRecord:
        jitter = self.rng.randint(-2, 2)
        reset5 = (self.reset5 or t + FIVE_H) + timedelta(seconds=jitter)
        used5, usedw = round(self.used5), round(self.usedw)  # the API reports whole percents
        usage = Usage(
            windows=[Window(MAIN_LIMIT, FIVE_HOUR, 18000, float(used5), reset5),
                     Window(MAIN_LIMIT, WEEKLY, 604800, float(usedw), self.resetw)],
            plan=self.plan, credits_balance="0", limit_reached=used5 >= 100,
        )
        body = _body(self.plan, used5, int(reset5.timestamp()), int((reset5 - t).total_seconds()),
                     usedw, int(self.resetw.timestamp()), int((self.resetw - t).total_seconds()))
        return SnapshotRecord(self.name, t, "demo", usage, body)


def generate(
    accounts: int, days: float, interval: timedelta, seed: int, end: datetime, tz: tzinfo
) -> Iterator[tuple[list[SnapshotRecord], list[FailureRecord]]]:
    """Batches of snapshots and failures, oldest first."""
    rng = random.Random(seed)
    plan = Scenario.of(accounts, days, end)
    gap, expired, expires_at = plan.gap, plan.expired, plan.expires_at
    sims = [_Account(n, i, random.Random(rng.random()), plan.start, end, rng.choice(["plus", "plus", "pro", "team"]))
            for i, n in enumerate(plan.names)]
    hours = interval.total_seconds() / 3600
    snapshots: list[SnapshotRecord] = []
    failures: list[FailureRecord] = []
    t = plan.start
    while t <= end:
        in_gap = gap is not None and gap[0] <= t < gap[1]
        for sim in sims:
            sim.step(t, hours, tz)
            if in_gap:
                continue
            if sim.name == expired and t >= expires_at:
                failures.append(FailureRecord(
                    sim.name, t, "expired",
                    f"access token expired at {expires_at:%Y-%m-%d %H:%M} UTC: run `codex login` (no request sent)"))
                continue
            snapshots.append(sim.snapshot(t))
        if len(snapshots) >= BATCH:
            yield snapshots, failures
            snapshots, failures = [], []
        t += interval
    yield snapshots, failures


def fill_demo(
    store, *, accounts: int = 3, days: float = 7, interval: timedelta = timedelta(minutes=5),
    seed: int = 1, end: datetime, tz: tzinfo,
) -> DemoSummary:
    names = account_names(accounts)
    infos = {n: AccountInfo(n, f"demo-{n}", f"{n}@example.com") for n in names}
    snapshots = failures = 0
    for batch, failed in generate(accounts, days, interval, seed, end, tz):
        store.add_snapshots(batch, infos)
        store.add_failures(failed)
        snapshots += len(batch)
        failures += len(failed)
    from tracker.insight.profile import keep_usual_weeks

    keep_usual_weeks(store, end, tz)  # as `collect` does after storing
    return DemoSummary(names, snapshots, failures)


@dataclass
class DemoRun:
    summary: DemoSummary
    report_text: str
    chart: Path


def run_demo(db: str | None, *, accounts: int, days: float, interval: timedelta, seed: int, output: str,
             zone: tzinfo, now: datetime) -> DemoRun:
    """The whole demo: fill a new (or throwaway) database, report it, chart its last week."""
    import tempfile

    from tracker.config import db_url
    from tracker.errors import TrackerError
    from tracker.insight.report import build_report
    from tracker.storage.store import Store
    from tracker.views import charts
    from tracker.views.chartfile import write_chart
    from tracker.views.report import report_table

    charts.output_format(Path(output))
    end = now - timedelta(seconds=now.timestamp() % interval.total_seconds())
    with tempfile.TemporaryDirectory(prefix="tracker-demo-") as tmp, \
            Store.open(db_url(db or str(Path(tmp) / "demo.db"))) as store:
        existing = store.snapshot_count()
        if existing:
            raise TrackerError(f"{db} already holds {existing} snapshots: the demo fills only a new or "
                               "empty database (leave out --db for a throwaway one)", exit_code=2)
        summary = fill_demo(store, accounts=accounts, days=days, interval=interval, seed=seed, end=end, tz=zone)
        report = build_report(store, (), now, timedelta(hours=1), timedelta(minutes=30))
        chart = write_chart(store, (), now - timedelta(days=min(days, 7)), now, (FIVE_HOUR, WEEKLY), zone, now,
                            output, f"Codex usage (demo, {accounts} accounts)")
    return DemoRun(summary, report_table(report, zone), chart)


@click.command()
@click.option("--db", "db", metavar="PATH", help="Fill this database (default: a throwaway one in a temporary directory).")
@click.option("--accounts", type=click.IntRange(1, 500), default=3, show_default=True)
@click.option("--span", type=params.Duration(timedelta(hours=3)), default="7d", show_default=True,
              metavar="DURATION", help="How much history to make (7d, 6w).")
@click.option("--days", type=params.Number(0.1, 800), hidden=True, help="Same as --span Nd (older scripts).")
@click.option("--interval", type=params.Duration(timedelta(seconds=10)), default="5m", show_default=True,
              metavar="DURATION", help="Time between snapshots.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("-o", "--output", default="tracker-demo.png", show_default=True, metavar="FILE",
              help="Where to write the chart (PNG, SVG or PDF).")
@tz_option
def demo(db, accounts, span, days, interval, seed, output, tz) -> None:
    """Fill a database with a realistic synthetic history, then report and chart it.

    For trying the tool without a Codex account: work-day bursts, idle nights, five-hour windows
    filling and resetting, a weekly window that nearly runs out, a collection gap and an
    expired token.

    \b
    Example:
        tracker demo                       # then open tracker-demo.png
        tracker demo --accounts 20 --span 14d -o team.png
    """
    if days is None:
        days = span.total_seconds() / 86400
    if days > 800:
        raise click.BadParameter("at most 800 days of demo history", param_hint="'--span'")
    done = run_demo(db, accounts=accounts, days=days, interval=interval, seed=seed, output=output, zone=tz,
                    now=utcnow())
    summary = done.summary
    click.echo(f"demo: {summary.snapshots} snapshots and {summary.failures} failed collections "
               f"for {len(summary.accounts)} accounts over {days:g} days"
               + (f" in {db}" if db else " (throwaway database)"), err=True)
    click.echo(done.report_text)
    click.echo()
    click.echo(f"chart: {done.chart}")
