"""A chart of the store written to a file: the step ``chart`` and ``demo`` share."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.storage.store import Store


def write_chart(store: Store, names: tuple[str, ...], since: datetime, until: datetime, kinds: tuple[str, ...],
                zone: tzinfo, now: datetime, out: str, title: str | None = None,
                size: tuple[float, float] | None = None) -> Path:
    from tracker import timeutil
    from tracker.views import charts
    from tracker.views.chartdata import build_chart_data

    path = Path(out)
    charts.output_format(path)  # refuse a bad extension before any work
    data = build_chart_data(store, names, since, until, kinds, zone, timeutil.zone_name(zone), now)
    if title:
        data.title = title
    return charts.save(charts.draw(data, size), path)
