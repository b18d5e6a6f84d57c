"""Bounded grid reads (the last reading before each multiple of a step, by index seeks) and the
usual weeks kept for them.

A report learns every account's usual week from a grid of four weeks (168 points per series at
4 h): one statement reads the grids of all series at once (``grid_reads_of``), each series' rows
as the database gave them, so that their fingerprint says exactly what was read. ``collect``
keeps the profile it learned from such a read (``keep_usual_weeks``); a reader takes it back
(``kept_usual_weeks``) only when that fingerprint, the window's start, the zone and the model
all match its own.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import LargeBinary, cast, select

from tracker.points import HOURS_PER_WEEK, KeptUsualWeek, Point, SeriesKey
from tracker.storage.base import StoreBase, _dialect_insert, accounts_t, models, series_t
from tracker.storage.schema import stored_time

usual_weeks_t = models.usual_weeks

GRID_SQL = """
WITH RECURSIVE wanted(series, first_t, last_t) AS (VALUES {wanted}),
grid(series, t, last_t) AS (
    SELECT series, first_t, last_t FROM wanted WHERE first_t <= last_t
    UNION ALL SELECT series, t + :step, last_t FROM grid WHERE t + :step <= last_t
)
SELECT grid.series, (SELECT CAST(collected_at AS TEXT) || ' '
                            || CASE WHEN used_percent = used_percent + 0 THEN CAST(used_percent AS TEXT) ELSE 'x' END
                            || ' ' || CASE WHEN reset_at IS NULL THEN ''
                                           WHEN reset_at = reset_at + 0 THEN CAST(reset_at AS TEXT) ELSE 'x' END
                     FROM windows WHERE series_id = grid.series AND collected_at < grid.t
                     ORDER BY collected_at DESC LIMIT 1)
FROM grid ORDER BY grid.series, grid.t
"""  # one index seek per step and series; the row comes back as one text value (a scalar subquery has one column).
# ``v = v + 0`` holds for a number only: text or a blob a hand edit left in SQLite's column reads as
# 'x' (a blob cast to text is invalid UTF-8, which failed the whole read), and the reading is skipped.
GRID_SERIES_PER_STATEMENT = 200  # three bound values each: under SQLite's oldest limit of 999


@dataclass
class GridRead:
    """One series' grid read: each reading once, oldest first, as the text the database gave
    (``collected_at used_percent reset_at``)."""

    rows: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Equal for two reads exactly when they read the same readings."""
        import hashlib

        return hashlib.blake2b("\n".join(self.rows).encode(), digest_size=16).hexdigest()

    def points(self) -> list[Point]:
        """The readings, without those a hand edit or a damaged page left unreadable (as
        ``sound_points``: text or a blob where a number belongs, an infinity, a time outside
        1970-2999; a damaged reset time is an unknown reset)."""
        resets: dict[str, datetime | None] = {"": None}  # a window's reset time repeats: convert it once
        points = []
        for row in self.rows:
            parts = row.split(" ")
            at, used = _stored_time(parts[0], 1000), _stored_float(parts[1] if len(parts) == 3 else "")
            if at is None or used is None:
                continue
            reset = parts[2]
            if reset not in resets:
                resets[reset] = _stored_time(reset, 1)
            points.append(Point(at, used, resets[reset]))
        return points


def _stored_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _stored_time(text: str, scale: int) -> datetime | None:
    """A time as the grid read gives it (text of epoch seconds x ``scale``), read as the columns are."""
    return stored_time(_stored_float(text), scale)


def _pack(values: tuple[float, ...] | None) -> bytes | None:
    return None if values is None else struct.pack(f"<{len(values)}d", *values)


def _unpack(blob: bytes | None) -> tuple[float, ...] | None:
    return None if blob is None else struct.unpack(f"<{len(blob) // 8}d", blob)


def _sound(rates: bytes | None, ratios: bytes | None) -> bool:
    """A kept row a reader may use: no profile at all, or 168 rates and any ratios, every one a
    finite number >= 0. A row edited by hand or damaged on disk is learned again, not served
    (a wrong length would raise in the forecast, a NaN would make every figure NaN)."""
    if rates is None:
        return ratios is None or len(ratios) % 8 == 0
    if len(rates) != HOURS_PER_WEEK * 8 or (ratios is not None and len(ratios) % 8):
        return False
    return all(math.isfinite(v) and v >= 0 for v in (*_unpack(rates), *(_unpack(ratios) or ())))


class GridReader(StoreBase):
    """Grid reads of many series in one statement, and the usual weeks kept from them."""

    def grid_points(self, key: SeriesKey, since: datetime, until: datetime, step: timedelta) -> list[Point]:
        """The last reading before each multiple of ``step`` in (since, until]: one index seek per
        step (168 for four weeks at 4 h), never a scan of the readings in between. Equal to
        ``insight.usual_week.grid_sample`` of all the readings."""
        return self.grid_points_of({key: (since, until)}, step)[key]

    def grid_points_of(self, ranges: Mapping[SeriesKey, tuple[datetime, datetime]],
                       step: timedelta) -> dict[SeriesKey, list[Point]]:
        """``grid_points`` of many series, each over its own (since, until]."""
        return {key: read.points() for key, read in self.grid_reads_of(ranges, step).items()}

    def grid_reads_of(self, ranges: Mapping[SeriesKey, tuple[datetime, datetime]],
                      step: timedelta) -> dict[SeriesKey, GridRead]:
        """The grid of each series over its own (since, until], in one statement (per
        ``GRID_SERIES_PER_STATEMENT`` series): a report reads every account's grid at once."""
        from sqlalchemy import text

        found = {key: GridRead() for key in ranges}
        ids = self.series_ids_of(ranges)
        size = round(step.total_seconds() * 1000)
        wanted = [(ids[key], (round(since.timestamp() * 1000) // size + 1) * size, round(until.timestamp() * 1000))
                  for key, (since, until) in ranges.items() if key in ids]
        by_id = {series: found[key].rows for key, series in ids.items()}
        with self.engine.connect() as conn:
            for chunk in range(0, len(wanted), GRID_SERIES_PER_STATEMENT):
                part = wanted[chunk:chunk + GRID_SERIES_PER_STATEMENT]
                values = ", ".join(f"(CAST(:s{i} AS INTEGER), CAST(:f{i} AS BIGINT), CAST(:l{i} AS BIGINT))"
                                   for i in range(len(part)))
                params: dict[str, int] = {"step": size}
                for i, (series, first, last) in enumerate(part):
                    params.update({f"s{i}": series, f"f{i}": first, f"l{i}": last})
                previous = None
                for series, row in conn.execute(text(GRID_SQL.format(wanted=values)), params):
                    if row is None or (series, row) == previous:
                        continue  # nothing before this step, or no reading since the previous one
                    previous = series, row
                    by_id[series].append(row)
        return found

    def latest_points_of(self, keys: Iterable[SeriesKey], at: datetime) -> dict[SeriesKey, Point]:
        """The newest reading at or before ``at`` of each series that has one (one statement: a
        grid of one point, just after ``at``)."""
        step = timedelta(milliseconds=1)
        reads = self.grid_reads_of({key: (at, at + step) for key in keys}, step)
        return {key: read.points()[-1] for key, read in reads.items() if read.rows}

    def series_ids_of(self, keys: Iterable[SeriesKey]) -> dict[SeriesKey, int]:
        """The stored id of each of ``keys`` that names a series (one statement)."""
        s, a = series_t, accounts_t
        wanted = {(k.account, k.limit, k.kind, models.stored_length(k.window_seconds)): k for k in keys}
        query = (select(s.c.id, a.c.name, s.c.limit_name, s.c.kind, s.c.window_seconds)
                 .join(a, a.c.id == s.c.account_id).where(a.c.name.in_(sorted({name for name, *_ in wanted}))))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {wanted[tuple(row)]: series for series, *row in rows if tuple(row) in wanted}

    def series_keys(self, names: Iterable[str] = ()) -> list[SeriesKey]:
        """Every series of the accounts (all accounts without ``names``)."""
        s, a = series_t, accounts_t
        query = select(a.c.name, s.c.limit_name, s.c.kind, s.c.window_seconds).join(a, a.c.id == s.c.account_id)
        names = list(names)
        if names:
            query = query.where(a.c.name.in_(names))
        with self.engine.connect() as conn:
            return [SeriesKey(name, limit, kind, seconds or None) for name, limit, kind, seconds in
                    conn.execute(query.order_by(a.c.name, s.c.limit_name, s.c.kind, s.c.window_seconds))]

    def kept_usual_weeks(self, keys: Iterable[SeriesKey], zone: str, model: str) -> dict[SeriesKey, KeptUsualWeek]:
        """The usual weeks kept for ``keys`` on ``zone``'s clock by this ``model`` (one statement)."""
        ids = self.series_ids_of(keys)
        if not ids:
            return {}
        u = usual_weeks_t
        by_id = {series: key for key, series in ids.items()}
        query = select(u.c.series_id, u.c.window_start, u.c.readings, cast(u.c.rates, LargeBinary),
                       cast(u.c.ratios, LargeBinary)).where(  # bytes even where a hand edit stored text
            u.c.series_id.in_(sorted(by_id)), u.c.zone == zone, u.c.model == model)
        with self.engine.connect() as conn:
            return {by_id[series]: KeptUsualWeek(start, readings, _unpack(rates), _unpack(ratios) or ())
                    for series, start, readings, rates, ratios in conn.execute(query) if _sound(rates, ratios)}

    def keep_usual_weeks(self, weeks: Mapping[SeriesKey, KeptUsualWeek], zone: str, model: str) -> None:
        """Keep these usual weeks (one row per series and zone: the newest replaces the older).

        One upsert: two collectors keeping the same series at once (PostgreSQL, a team's store)
        both succeed, the later row standing (a delete then insert made the second fail on the
        key, after its snapshots were stored)."""
        ids = self.series_ids_of(weeks)
        if not ids:
            return
        u = usual_weeks_t
        rows = [{"series_id": ids[key], "zone": zone, "window_start": week.window_start, "model": model,
                 "readings": week.readings, "rates": _pack(week.rates), "ratios": _pack(week.ratios)}
                for key, week in weeks.items() if key in ids]
        with self._write() as conn, conn.begin():
            statement = _dialect_insert(conn, u)
            changes = {name: statement.excluded[name] for name in ("window_start", "model", "readings", "rates", "ratios")}
            conn.execute(statement.on_conflict_do_update(index_elements=["series_id", "zone"], set_=changes), rows)
