"""The usual week read for every account at once (``Store.grid_points_of``, ``window_profiles``)
equals the same read series by series and the grid sample of every stored reading, on a real
multi-account history in SQLite and PostgreSQL: the report's figures are exactly the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.fixtures import store_url
from tracker.cli.demo import fill_demo
from tracker.insight import profile as profile_module
from tracker.insight.profile import window_profile, window_profiles
from tracker.insight.report import build_report, recent_points
from tracker.insight.usual_week import PROFILE_STEP, build_profile, grid_sample, history_for
from tracker.points import SeriesKey
from tracker.storage.store import Store
from tracker.views.report import report_json

END = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    with Store.open(store_url(db)) as store:
        fill_demo(store, accounts=5, days=16, interval=timedelta(minutes=10), seed=7, end=END, tz=PARIS)
    return db


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo_db(request, demo_sqlite):
    if request.param == "sqlite":
        return demo_sqlite
    db = request.getfixturevalue("pg_db")
    with Store.open(store_url(db)) as store:
        fill_demo(store, accounts=5, days=16, interval=timedelta(minutes=10), seed=7, end=END, tz=PARIS)
    return db


def latest_points(store) -> dict[SeriesKey, list]:
    found = {}
    for state in store.account_states((), END):
        for key in state.series:
            points = recent_points(store, key, END, timedelta(hours=1))
            if points:
                found[key] = points
    return found


def profile_from_everything(store, key, last, zone):
    """The profile computed from every stored reading of the series, in memory: no grid read."""
    start = last.reset_at - timedelta(seconds=key.window_seconds)
    since = start - history_for(key.window_seconds)
    sampled = grid_sample(store.points(key, None, start), since, start)
    return build_profile(sampled, key.window_seconds, start, zone)


def test_one_grid_read_for_every_series_equals_each_series_read_alone(demo_db):
    with Store.open(store_url(demo_db)) as store:
        keys = [key for state in store.account_states((), END) for key in state.series]
        # every series over its own range (one inside a single step: nothing to read)
        ranges = {key: (END - timedelta(days=12 - i % 6, minutes=7 * i), END - timedelta(days=i % 3)) for i, key in
                  enumerate(keys)}
        ranges[keys[0]] = (END - timedelta(hours=3), END - timedelta(hours=2, minutes=30))
        nobody = SeriesKey("nobody", "codex", "weekly", 604800)
        ranges[nobody] = (END - timedelta(days=3), END)
        together = store.grid_points_of(ranges, PROFILE_STEP)
        alone = {key: store.grid_points(key, since, until, PROFILE_STEP) for key, (since, until) in ranges.items()}
        everything = {key: grid_sample(store.points(key, None, until), since, until)
                      for key, (since, until) in ranges.items()}
    assert len(keys) >= 10
    assert together == alone == everything
    assert together[nobody] == [] and together[keys[0]] == []
    assert sum(len(points) for points in together.values()) > 400


@pytest.mark.parametrize("zone", [UTC, PARIS])
def test_every_accounts_usual_week_at_once_equals_the_one_from_every_reading(demo_db, zone):
    with Store.open(store_url(demo_db)) as store:
        lasts = {key: points[-1] for key, points in latest_points(store).items()}
        together = window_profiles(store, lasts, zone)
        alone = {key: window_profile(store, key, last, zone) for key, last in lasts.items()}
        everything = {key: profile_from_everything(store, key, last, zone) for key, last in lasts.items()
                      if key.kind == "weekly"}
    assert len(together) == 5 and set(together) == {key for key in lasts if key.kind == "weekly"}
    assert together == {key: p for key, p in alone.items() if p is not None} == everything
    # past weeks seen whole that did not run out give the range its spread (a week stopped at 100 % does not)
    assert any(p.ratios for p in together.values())


def test_the_report_is_the_same_as_with_every_reading_in_memory(demo_db, monkeypatch):
    with Store.open(store_url(demo_db)) as store:
        read = build_report(store, (), END, timedelta(hours=1), timedelta(minutes=30), PARIS)

        def in_memory(store, lasts, zone=None):
            found = {key: profile_from_everything(store, key, last, zone) for key, last in lasts.items()
                     if key.kind == "weekly"}
            return {key: p for key, p in found.items() if p is not None}

        monkeypatch.setattr(profile_module, "window_profiles", in_memory)
        computed = build_report(store, (), END, timedelta(hours=1), timedelta(minutes=30), PARIS)
    figures = [(w.key, w.figures) for a in read.accounts for w in a.windows]
    assert figures == [(w.key, w.figures) for a in computed.accounts for w in a.windows]
    assert sum(1 for key, _ in figures if key.kind == "weekly") == 5
    assert report_json(read) == report_json(computed)
