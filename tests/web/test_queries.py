"""Bounded reads of one series: every point when they fit, else the lows and highs per bucket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import END, fill
from tracker.points import SeriesKey
from tracker.storage.store import Store
from tracker.web.queries import bucket_millis, lows_and_highs, read_series

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(("span", "max_points", "bucket"), [
    (timedelta(days=7), 2000, 605_406),  # 999 buckets of about 10 minutes
    (timedelta(days=365), 2000, 31_567_568),
    (timedelta(seconds=1), 2000, 2),
    (timedelta(hours=1), 4, 3_600_001),  # one bucket and the two ends
])
def test_bucket_length(span, max_points, bucket):
    assert bucket_millis(T0, T0 + span, max_points) == bucket
    assert span // timedelta(milliseconds=bucket) < max(1, (max_points - 2) // 2)  # the end's bucket is the last


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def month_store(request, tmp_path):
    """One account, 10 days of 5-minute snapshots (2,880 per series), on SQLite and PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'month.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_db")
    store = Store.open(fill(url, accounts=1, days=10))
    yield store
    store.close()


KEY = SeriesKey("work", "codex", "five_hour", 18000)


def test_a_range_that_fits_comes_back_whole(month_store):
    since, until = END - timedelta(days=2), END
    read = read_series(month_store, KEY, since, until)
    assert not read.downsampled and read.points == month_store.points(KEY, since, until)
    assert read.stored == len(read.points) == 2 * 288 + 1


@pytest.mark.parametrize("max_points", [2000, 300, 20])
def test_a_long_range_keeps_each_buckets_low_and_high_and_both_ends(month_store, max_points):
    since, until = END - timedelta(days=10), END
    every = month_store.points(KEY, since, until)
    read = read_series(month_store, KEY, since, until, max_points)
    assert read.downsampled and read.stored == len(every) > max_points
    assert len(read.points) <= max_points
    assert [p.at for p in read.points] == sorted({p.at for p in read.points})  # ordered, no repeats
    assert set(read.points) <= set(every)
    assert read.points[0] == every[0] and read.points[-1] == every[-1]
    size = timedelta(milliseconds=bucket_millis(since, until, max_points))
    buckets: dict[int, list] = {}
    for p in every:
        buckets.setdefault((p.at - since) // size, []).append(p.used_percent)
    for index, values in buckets.items():
        kept = [p.used_percent for p in read.points if (p.at - since) // size == index]
        assert max(values) in kept and min(values) in kept


def test_an_unknown_series_is_empty(month_store):
    read = read_series(month_store, SeriesKey("nobody", "codex", "weekly", 604800), END - timedelta(days=1), END)
    assert (read.points, read.stored, read.downsampled) == ([], 0, False)


@pytest.mark.parametrize(("values", "bucket", "kept"), [
    ([], 10, []),
    ([5], 10, [0]),
    ([1, 9, 3, 7, 2, 8], 100, [0, 1, 5]),  # one bucket: its low (0) and high (1), and the last
    ([1, 9, 3, 7, 2, 8], 20, [0, 1, 2, 3, 4, 5]),  # buckets of two: every value is a low or a high
    ([4, 4, 4, 4, 4, 4], 30, [0, 3, 5]),  # flat: the first of each bucket, and the last row
    ([0, 50, 100, 0, 60, 20, 30], 30, [0, 2, 3, 4, 6]),  # a reset inside a bucket keeps peak and drop
])
def test_lows_and_highs(values, bucket, kept):
    rows = [(i * 10, float(v), None) for i, v in enumerate(values)]
    assert lows_and_highs(rows, 0, bucket) == [rows[i] for i in kept]
