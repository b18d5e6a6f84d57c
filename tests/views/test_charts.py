"""Charts from plain data: every element present, valid files, time zones on the axis."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.fixtures import png_size
from tracker.errors import TrackerError
from tracker.points import Point
from tracker.views.chartdata import ChartData, KindSeries, split_lines
from tracker.views.charts import draw, save

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
H = timedelta(hours=1)


def series(account, kind, offset=0.0):
    lines = [[(T0 + i * H, 10.0 * i + offset) for i in range(6)], [(T0 + 8 * H, 1.0), (T0 + 9 * H, 5.0)]]
    return KindSeries(account, kind, lines, resets=[T0 + 7 * H],
                      projection=[(T0 + 9 * H, 5.0), (T0 + 12 * H, 100.0)], next_reset=T0 + 13 * H,
                      exhausts_before_reset=True)


def chart_data(accounts=("work", "home"), tz=UTC, tz_name="UTC"):
    all_series = [series(a, k, i) for i, a in enumerate(accounts) for k in ("five_hour", "weekly")]
    daily = {a: {T0.date(): 12.0, (T0 + 24 * H).date(): 3.0} for a in accounts}
    return ChartData(list(accounts), all_series, daily, T0 - 24 * H, T0 + 10 * H, tz, tz_name, T0 + 9 * H)


def gids(fig):
    return {a.get_gid() for a in fig.findobj() if a.get_gid()}


def test_every_element_is_drawn():
    found = gids(draw(chart_data()))
    for account in ("work", "home"):
        for kind in ("five_hour", "weekly"):
            for element in ("usage", "reset", "projection", "exhaustion", "end-label"):
                assert f"{element}:{account}:{kind}" in found
            assert f"next-reset:{account}:{kind}" not in found  # beyond the axis: not drawn, not in the legend
        assert f"daily:{account}" in found
    assert {"limit-100", "day-boundary", "caption"} <= found


def test_caption_names_zone_and_last_snapshot():
    fig = draw(chart_data(tz=ZoneInfo("Asia/Tokyo"), tz_name="Asia/Tokyo"))
    [caption] = [a for a in fig.findobj() if a.get_gid() == "caption"]
    assert caption.get_text().startswith("Times in Asia/Tokyo · last snapshot Fri 20 Nov 2026 18:00")


def test_gaps_and_resets_break_the_lines():
    points = [Point(T0 + i * 5 * timedelta(minutes=1), float(i), T0 + 5 * H) for i in range(10)]
    points += [Point(T0 + 3 * H + i * 5 * timedelta(minutes=1), 20.0 + i, T0 + 5 * H) for i in range(5)]  # after a gap
    points += [Point(T0 + 5 * H + timedelta(minutes=5), 1.0, T0 + 10 * H)]  # a new window
    lines, resets = split_lines(points, 18000)
    assert [len(line) for line in lines] == [10, 5, 1]
    assert resets == [T0 + 5 * H]


def test_twenty_accounts_use_small_multiples_and_a_heatmap():
    names = [f"acct{i:02d}" for i in range(20)]
    fig = draw(chart_data(tuple(names)))
    usage_axes = [ax for ax in fig.axes if any(line.get_gid() == "limit-100" for line in ax.lines)]
    assert len(usage_axes) == 20
    assert {ax.get_title(loc="left").split(" · ")[0] for ax in usage_axes} == set(names)
    assert all(ax.get_title(loc="left").endswith(" · 95% left · resets 13:00") for ax in usage_axes)
    assert "daily:heatmap" in gids(fig)


def test_time_zone_shifts_the_axis():
    def first_boundary(tz):
        fig = draw(chart_data(tz=tz, tz_name=str(tz)))
        ax = fig.axes[0]
        return min(line.get_xdata()[0] for line in ax.lines if line.get_gid() == "day-boundary")

    import matplotlib.dates as mdates

    assert first_boundary(UTC) == pytest.approx(mdates.date2num(datetime(2026, 11, 20, tzinfo=UTC)))
    tokyo_midnight = mdates.date2num(datetime(2026, 11, 19, 15, tzinfo=UTC))
    assert first_boundary(ZoneInfo("Asia/Tokyo")) == pytest.approx(tokyo_midnight)


def test_png_svg_pdf_files(tmp_path):
    fig = draw(chart_data(), size=(10, 8))
    width, height = png_size(save(fig, tmp_path / "c.png"))
    assert (width, height) == (1100, 880)
    svg = save(fig, tmp_path / "c.svg").read_text()
    root = ET.fromstring(svg)
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "work" in texts and "home" in texts
    assert save(fig, tmp_path / "c.pdf").read_bytes()[:5] == b"%PDF-"


def test_unknown_extension_writes_nothing(tmp_path):
    with pytest.raises(TrackerError, match="png, .svg or .pdf"):
        save(draw(chart_data()), tmp_path / "c.gif")
    assert list(tmp_path.iterdir()) == []


# -- the first chart: little data, lone readings, long or non-Latin names ------------------------


def test_a_single_reading_draws_its_level_on_an_axis_that_fits_the_data():
    one = KindSeries("work", "weekly", [[(T0, 42.0)]], resets=[])
    data = ChartData(["work"], [one], {"work": {T0.date(): 0.0}}, T0 - 7 * 24 * H, T0 + timedelta(minutes=2),
                     UTC, "UTC", T0)
    fig = draw(data)
    assert "level:work:weekly" in gids(fig)
    usage_ax, bars_ax = fig.axes[0], fig.axes[-1]
    start, end = usage_ax.get_xlim()
    assert (end - start) * 24 < 3  # hours around the reading, not seven empty days
    assert bars_ax.get_ylim() == (0.0, 1.0)  # not -0.04..0.04
    assert bars_ax.get_xlim() == usage_ax.get_xlim()


def test_axis_ends_at_the_last_reading_plus_the_horizon_and_days_share_it():
    data = chart_data()
    data.end = T0 + 48 * H  # the period runs on, the data stops at T0 + 9 h
    for s in data.series:
        s.next_reset = T0 + 40 * H
    fig = draw(data)
    import matplotlib.dates as mdates

    _, end = fig.axes[0].get_xlim()
    assert mdates.num2date(end) <= T0 + 9 * H + 4 * H
    assert fig.axes[-1].get_xlim() == fig.axes[0].get_xlim()  # the per-day panel shares the time axis


def test_heat_labels_keep_contrast_and_long_names_are_shortened():
    names = [f"team-{i:02d}-" + "x" * 40 for i in range(8)] + ["研究", "plain"]
    data = chart_data(tuple(names))
    data.daily[names[0]] = {T0.date(): 90.0, (T0 + 24 * H).date(): 2.0}
    fig = draw(data)
    labels = {(t.get_text(), t.get_color()) for t in fig.findobj() if t.get_gid() == "heat-label"}
    assert ("90", "white") in labels and ("3", "black") in labels
    titles = [ax.get_title(loc="left").split(" · ")[0] for ax in fig.axes][:10]
    assert all(len(t) <= 28 for t in titles) and titles[0] == "team-00-" + "x" * 19 + "…"
    assert titles[8] in ("研究", "??")  # drawn when the font has the glyphs, never as boxes
    from tracker.views.chartaxes import short_label

    assert short_label("x" * 30) == "x" * 17 + "…" and short_label("work") == "work"


def legend_texts(fig) -> list[str]:
    return [t.get_text() for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)] if legend
            for t in legend.get_texts()]


def test_now_end_labels_and_a_legend_of_only_what_is_drawn():
    data = chart_data()
    data.now = T0 + 9 * H + timedelta(minutes=20)
    for s in data.series:
        s.next_reset = T0 + 9 * H + timedelta(minutes=50)  # within the axis now
    fig = draw(data)
    found = gids(fig)
    assert {"now", "next-reset:work:weekly"} <= found
    [label] = [t.get_text() for t in fig.findobj() if t.get_gid() == "end-label:work:weekly"]
    assert label == "work: 95% left · resets 09:50"  # the last reading: 5 % used
    texts = legend_texts(fig)
    assert {"now", "next reset", "expected path to the reset (forecast)", "window reset"} <= set(texts)
    assert "blocked at 100 %" not in texts
    past = chart_data()  # a past period: no projection, no next reset, no now
    for s in past.series:
        s.projection, s.next_reset, s.exhausts_before_reset = [], None, False
    texts = legend_texts(draw(past))
    assert not {"now", "next reset", "expected path to the reset (forecast)"} & set(texts)


def test_a_blocked_span_is_shaded_and_listed():
    data = chart_data(("work",))
    weekly = next(s for s in data.series if s.kind == "weekly")
    weekly.lines = [[(T0 + i * H, min(100.0, 40.0 * i)) for i in range(6)], [(T0 + 6 * H, 2.0)]]
    fig = draw(data)
    spans = [a for a in fig.findobj() if a.get_gid() == "blocked:work:weekly"]
    assert len(spans) == 1
    assert weekly.blocked == [(T0 + 3 * H, T0 + 6 * H)]  # from the first 100 % to the reset's first reading
    assert "blocked at 100 %" in legend_texts(fig)


def test_day_labels_sit_under_the_middle_of_their_day_with_the_bars():
    import matplotlib.dates as mdates

    data = chart_data(tz=ZoneInfo("Asia/Tokyo"), tz_name="Asia/Tokyo")
    data.start = T0 - 96 * H
    for s in data.series:
        s.lines.insert(0, [(T0 - 90 * H + i * H, 1.0 * i) for i in range(80)])
    data.daily = {a: {(T0 - 24 * H * i).date(): 5.0 + i for i in range(4)} for a in data.daily}
    fig = draw(data)
    bars = fig.axes[-1]
    ticks = [mdates.num2date(x).astimezone(ZoneInfo("Asia/Tokyo")) for x in bars.get_xticks()]
    assert ticks and all((t.hour, t.minute) == (12, 0) for t in ticks)
    centres = [p.get_x() + p.get_width() / 2 for p in bars.patches]
    assert min(abs(c - x) for c in centres for x in bars.get_xticks()) < 0.5  # a bar group under each label
