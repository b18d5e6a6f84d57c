"""The dashboard's endpoints on a one-year, 50-account database vs a one-day one, and page load.

    python bench/serve.py [--accounts 50] [--days 365]

Targets: GET /api/report and GET /api/series (one series, one week) on the big database within
1.5x of the same requests on the one-day database; page load to a drawn chart in headless
Chromium under a second on the demo database. Requests go over real HTTP to the same uvicorn
server `tracker serve` runs (in a thread here), with the server's clock fixed at the
databases' end so both answer about the same moment.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import timed  # noqa: E402
from bench.history import END, build  # noqa: E402

SERIES = "api/series?account=acct00&kind=five_hour&since=7d"
YEAR_SERIES = "api/series?account=acct00&kind=five_hour&since=365d"


def _server(path: Path):
    from tracker.web.server import RunningServer, ServeOptions

    return RunningServer(ServeOptions(db_url=f"sqlite:///{path}", clock=lambda: END))


def time_endpoints(path: Path, repeat: int = 15) -> dict:
    import requests

    with _server(path) as server, requests.Session() as http:
        def fetch(route: str):
            def once():
                response = http.get(server.url + route, timeout=60)
                response.raise_for_status()
                return response
            once()  # warm the caches, as a dashboard that polls always has them
            return timed(once, repeat=repeat)

        times = {"report_s": fetch("api/report"), "series_s": fetch(SERIES), "year_series_s": fetch(YEAR_SERIES)}
        times["year_points"] = http.get(server.url + YEAR_SERIES, timeout=60).json()["returned"]
    return times


def page_load_ms(loads: int = 5) -> float | None:
    """Best navigation-start-to-drawn-charts time of ``loads`` loads of the demo dashboard (None: no browser)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).is_file():
        return None
    from datetime import UTC

    from tracker.cli.demo import fill_demo
    from tracker.storage.store import Store

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        db = Path(tmp) / "demo.db"
        store = Store.open(f"sqlite:///{db}")
        fill_demo(store, accounts=3, days=7, end=END, tz=UTC)
        store.close()
        with _server(db) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True)
            best = float("inf")
            for _ in range(loads + 1):  # the first load also starts the browser's renderer: not counted
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(server.url)
                page.wait_for_selector("html[data-ready='1']", timeout=30000)
                best = min(best, float(page.locator("html").get_attribute("data-drawn-ms")))
                page.close()
            browser.close()
    return best


def run(accounts: int = 50, days: float = 365) -> dict:
    """Timings on the big, the one-day and the one-week databases, and their ratios."""
    dbs = {"big": build(accounts, days)[0], "day": build(accounts, 1)[0], "week": build(accounts, 7)[0]}
    result = {name: time_endpoints(path) for name, path in dbs.items()}
    result["page_ms"] = page_load_ms()
    for what in ("report", "series"):
        for base in ("day", "week"):
            result[f"{what}_ratio_{base}"] = result["big"][f"{what}_s"] / result[base][f"{what}_s"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=365, help="history of the big database (50 accounts)")
    days = parser.parse_args().days
    r = run(50, days)
    for what, label in (("report", "/api/report"), ("series", "/api/series, one week")):
        times = ", ".join(f"{name} {r[name][what + '_s'] * 1000:.1f} ms" for name in ("day", "week", "big"))
        print(f"{label}: {times} (big = {days:g} days); vs 1-day {r[what + '_ratio_day']:.2f}x, "
              f"vs 7-day {r[what + '_ratio_week']:.2f}x (target <= 1.5x)")
    print(f"/api/series, {days:g} days downsampled to {r['big']['year_points']} points: "
          f"{r['big']['year_series_s'] * 1000:.0f} ms")
    page = "skipped (no playwright or Chromium)" if r["page_ms"] is None else f"{r['page_ms']:.0f} ms (target < 1000 ms)"
    print(f"page load to drawn charts, demo database, headless Chromium: {page}")


if __name__ == "__main__":
    main()
