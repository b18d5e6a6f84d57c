"""`tracker demo` and `tracker chart` end to end, on real files."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from tests.fixtures import png_size
from tracker.cli.root import cli


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    db = tmp / "demo.db"
    result = run("demo", "--db", str(db), "--accounts", "4", "--days", "7", "-o", str(tmp / "demo.png"),
                 "--tz", "UTC")
    assert result.exit_code == 0, result.output
    return db, tmp, result


def test_demo_prints_report_and_chart(demo_db):
    db, tmp, result = demo_db
    assert result.stdout.rstrip().endswith(f"chart: {tmp / 'demo.png'}")
    assert "work (" in result.stdout and "STALE" in result.stdout
    assert "expired since" in result.stdout
    width, height = png_size(tmp / "demo.png")
    assert width > 800 and height > 600


def test_demo_history_has_the_promised_features(demo_db):
    db, _, _ = demo_db
    with sqlite3.connect(db) as conn:
        per_account = dict(conn.execute(
            "select a.name, count(*) from snapshots s join accounts a on a.id = s.account_id group by a.name"))
        assert set(per_account) == {"work", "personal", "research", "side-project"}
        assert 4 * 7 * 288 * 0.9 < sum(per_account.values()) < 4 * 7 * 288
        assert conn.execute("select count(distinct kind) from failures").fetchone() == (1,)
        assert conn.execute("select distinct source from snapshots").fetchall() == [("demo",)]
        times = [t for (t,) in conn.execute(
            "select distinct collected_at from snapshots s join accounts a on a.id=s.account_id "
            "where a.name='work' order by 1")]
        longest_gap = max(b - a for a, b in zip(times, times[1:], strict=False))
        assert longest_gap >= 4 * 3600 * 1000  # a collection gap of hours
        weekly_max = conn.execute(
            "select max(used_percent) from windows w join series s on s.id=w.series_id where s.kind='weekly'"
        ).fetchone()[0]
        assert weekly_max >= 85  # one account nearly runs out of its week


def test_chart_svg_names_each_account(demo_db, tmp_path):
    db, _, _ = demo_db
    out = tmp_path / "week.svg"
    result = run("chart", "--db", str(db), "-o", str(out), "--tz", "Europe/Paris", "--title", "My week")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    root = ET.fromstring(out.read_text())
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for account in ("work", "personal", "research", "side-project"):
        assert account in text
    assert "My week" in text and "Europe/Paris" in text


def test_chart_pdf_one_kind_and_size(demo_db, tmp_path):
    db, _, _ = demo_db
    out = tmp_path / "w.pdf"
    assert run("chart", "work", "--kind", "weekly", "--db", str(db), "-o", str(out), "--size", "8x5").exit_code == 0
    assert out.read_bytes()[:5] == b"%PDF-"
    png = tmp_path / "w.png"
    assert run("chart", "--db", str(db), "-o", str(png), "--width", "6", "--height", "4").exit_code == 0
    assert png_size(png) == (660, 440)


@pytest.mark.parametrize(("zone", "day"), [("UTC", 0), ("Asia/Tokyo", 1), ("America/Los_Angeles", 0)])
def test_chart_default_file_name_is_the_day_on_the_users_clock(demo_db, tmp_path, monkeypatch, zone, day):
    # 20:00 UTC is already tomorrow in Tokyo: the name said the UTC date (and the test read the real
    # clock a second time, so it failed when a run straddled midnight)
    import tracker.cli.chart

    db, _, _ = demo_db
    today = datetime.now(UTC).replace(hour=20, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(tracker.cli.chart, "utcnow", lambda: today)
    monkeypatch.chdir(tmp_path)
    result = run("chart", "--db", str(db), "--tz", zone)
    expected = f"tracker-usage-{today + timedelta(days=day):%Y-%m-%d}.png"
    assert result.stdout.strip() == expected, result.stderr
    assert (tmp_path / expected).exists()


@pytest.mark.parametrize("args,code,message", [
    (["-o", "x.gif"], 2, "png, .svg or .pdf"),
    (["--since", "2020-01-01", "--until", "2020-01-08"], 1, "no snapshots between"),
    (["--since", "1d", "--until", "2d"], 2, "the period is empty"),
    (["nobody"], 1, "no data for nobody"),
])
def test_chart_errors_write_no_file(demo_db, tmp_path, monkeypatch, args, code, message):
    db, _, _ = demo_db
    monkeypatch.chdir(tmp_path)
    result = run("chart", "--db", str(db), *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_chart_on_an_empty_database(tmp_path):
    result = run("chart", "--db", str(tmp_path / "e.db"), "-o", str(tmp_path / "x.png"))
    assert result.exit_code == 1
    assert not (tmp_path / "x.png").exists()


def test_demo_throwaway_database_leaves_only_the_chart(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("demo", "--accounts", "2", "--days", "1")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tracker-demo.png"]


def test_report_after_demo_in_the_past(demo_db):
    db, _, _ = demo_db
    at = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert run("report", "--db", str(db), "--at", at, "--json").exit_code == 0


def test_demo_never_fills_a_database_that_holds_data(demo_db, tmp_path):
    db, _, _ = demo_db
    before = db.stat().st_size
    result = run("demo", "--db", str(db), "-o", str(tmp_path / "x.png"))
    assert result.exit_code == 2
    assert "already holds" in result.stderr
    assert not (tmp_path / "x.png").exists()
    assert db.stat().st_size == before
