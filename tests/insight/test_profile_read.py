"""The usual week read for every account at once (``Store.grid_points_of``, ``window_profiles``)
equals the same read series by series and the grid sample of every stored reading, on a real
multi-account history in SQLite and PostgreSQL: the report's figures are exactly the same. A usual
week ``collect`` kept is read back equal, and only while it was learned from the same readings, for
the same window, clock and code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.fixtures import run, sqlite_rows, store_url
from tracker.cli.demo import fill_demo
from tracker.insight import profile as profile_module
from tracker.insight.profile import keep_usual_weeks, window_profile, window_profiles
from tracker.insight.report import build_report, recent_points
from tracker.insight.usual_week import PROFILE_STEP, build_profile, grid_sample, history_for
from tracker.points import KeptUsualWeek, Point, SeriesKey
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store
from tracker.views.report import report_json
from tracker.web.readonly import open_readonly

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


def never_learn(*args, **kwargs):
    raise AssertionError("learned again: the kept usual week was not used")


def test_a_kept_usual_week_reads_back_equal_without_learning_it_again(demo_db, monkeypatch):
    with Store.open(store_url(demo_db)) as store:
        assert keep_usual_weeks(store, END, PARIS) == 5  # what collect does after storing
        lasts = {key: points[-1] for key, points in latest_points(store).items()}
        learned = {key: profile_from_everything(store, key, last, PARIS) for key, last in lasts.items()
                   if key.kind == "weekly"}
        monkeypatch.setattr(profile_module, "build_profile", never_learn)
        kept = window_profiles(store, lasts, PARIS)
    assert kept == learned and len(kept) == 5
    assert all(p.zone is PARIS and p.cumulative == learned[key].cumulative for key, p in kept.items())
    with monkeypatch.context() as patch:  # another clock: learned, not read back
        patch.setattr(profile_module, "build_profile", build_profile)
        with Store.open(store_url(demo_db)) as store:
            assert window_profiles(store, lasts, UTC) != kept


def test_a_reader_that_cannot_write_reads_kept_usual_weeks(demo_sqlite, monkeypatch):
    with Store.open(store_url(demo_sqlite)) as store:
        keep_usual_weeks(store, END, PARIS)
        lasts = {key: points[-1] for key, points in latest_points(store).items()}
        learned = window_profiles(store, lasts, UTC)
    store = open_readonly(store_url(demo_sqlite))
    try:
        assert window_profiles(store, lasts, UTC) == learned  # nothing kept for UTC: learned, nothing written
        monkeypatch.setattr(profile_module, "build_profile", never_learn)
        assert len(window_profiles(store, lasts, PARIS)) == 5
        report = build_report(store, (), END, timedelta(hours=1), timedelta(minutes=30), PARIS)
    finally:
        store.close()
    assert sum(1 for a in report.accounts for w in a.windows if w.key.kind == "weekly") == 5


@pytest.fixture
def two_accounts(tmp_path):
    db = tmp_path / "two.db"
    with Store.open(store_url(db)) as store:
        fill_demo(store, accounts=2, days=15, interval=timedelta(minutes=20), seed=3, end=END, tz=PARIS)
    return db


def test_a_kept_usual_week_is_used_only_for_the_same_readings_window_and_code(two_accounts, monkeypatch):
    with Store.open(store_url(two_accounts)) as store:
        lasts = {key: points[-1] for key, points in latest_points(store).items() if key.kind == "weekly"}
        key, last = sorted(lasts.items(), key=str)[0]
        start = last.reset_at - timedelta(seconds=key.window_seconds)
        [week] = store.kept_usual_weeks([key], "Europe/Paris", profile_module.model()).values()
        assert week.window_start == start and week.rates is not None
        flat = KeptUsualWeek(start, week.readings, (1.0,) * 168, (1.0,))  # not what these readings give
        store.keep_usual_weeks({key: flat}, "Europe/Paris", profile_module.model())
        assert window_profiles(store, {key: last}, PARIS)[key].rates == (1.0,) * 168  # the kept one is used

        moved = Point(last.at, last.used_percent, last.reset_at + timedelta(hours=1))  # another window start
        assert window_profiles(store, {key: moved}, PARIS)[key] == profile_from_everything(store, key, moved, PARIS)
        monkeypatch.setattr(profile_module, "model", lambda: "another version")
        assert window_profiles(store, {key: last}, PARIS)[key] == profile_from_everything(store, key, last, PARIS)
        monkeypatch.undo()
        assert window_profiles(store, {key: last}, PARIS)[key].rates == (1.0,) * 168

        # a reading imported into the weeks it learned from (a session log read late): learned again
        late = start - timedelta(days=3, minutes=1)
        store.add_snapshots([SnapshotRecord(key.account, late, "session", Usage(
            [Window(key.limit, key.kind, key.window_seconds, 99.0, late + timedelta(days=2))]))])
        again = window_profiles(store, {key: last}, PARIS, keep=True)[key]
        assert again == profile_from_everything(store, key, last, PARIS) and again.rates != (1.0,) * 168
        assert store.kept_usual_weeks([key], "Europe/Paris", profile_module.model())[key].rates == again.rates


def test_forgetting_and_merging_accounts_drop_their_kept_usual_weeks(tmp_path):
    db = tmp_path / "demo.db"
    made = run("demo", "--db", db, "--accounts", "3", "--span", "16d", "--interval", "30m", "--tz", "UTC",
               "-o", tmp_path / "demo.png")
    assert made.exit_code == 0, made.output
    per_account = "select a.name, count(*) from usual_weeks u join series s on s.id = u.series_id " \
                  "join accounts a on a.id = s.account_id where u.rates is not null group by a.name order by a.name"
    names = [name for name, count in sqlite_rows(db, per_account) if count == 1]
    assert len(names) == 3
    assert run("accounts", "forget", names[0], "--yes", "--db", db).exit_code == 0
    merged = run("accounts", "rename", names[1], names[2], "--merge", "--db", db)
    assert merged.exit_code == 0, merged.output
    assert sqlite_rows(db, per_account) == [(names[2], 1)]
    assert sqlite_rows(db, "select count(*) from usual_weeks") == [(1,)]


def test_the_report_reads_the_weeks_days_and_does_not_carry_a_deadline_day(tmp_path):
    # The report reads only the last hour of a window, plus the window's readings every 3 hours
    # (``window_days``, one statement for all series) so that a deadline day is told from a pace:
    # the same 70 the forecast gives from every reading, not the 86 the last hour alone gives.
    from tests.fixtures import MONDAY, WEEK_S, deadline_week
    from tracker.insight.forecast import forecast_window
    from tracker.kinds import MAIN_LIMIT

    now = MONDAY + timedelta(weeks=3, days=2, hours=20)
    points = [p for p in deadline_week([1, 4.75, 1, 1, 1]) if p.at <= now]
    db = tmp_path / "deadline.db"
    with Store.open(store_url(db)) as store:
        store.add_snapshots([SnapshotRecord("ana", p.at, "poll", Usage(
            [Window(MAIN_LIMIT, "weekly", WEEK_S, p.used_percent, p.reset_at)])) for p in points])
        report = build_report(store, (), now, timedelta(hours=1), timedelta(minutes=30), UTC)
    [weekly] = [w.figures for a in report.accounts for w in a.windows if w.key.kind == "weekly"]
    start = MONDAY + timedelta(weeks=3)
    everything = forecast_window(points, now, WEEK_S, build_profile(
        grid_sample(points, start - history_for(WEEK_S), start), WEEK_S, start, UTC))
    assert weekly.used_percent == 54 and weekly.projected == pytest.approx(70, abs=1.5)
    assert weekly.projected == pytest.approx(everything.projected, abs=0.5)
