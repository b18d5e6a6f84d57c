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


def time_endpoints(path: Path, repeat: int = 7) -> dict:
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

    from tracker.demo import fill_demo
    from tracker.store import Store

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
    big, _ = build(accounts, days)
    day, _ = build(accounts, 1)
    result = {"day": time_endpoints(day), "big": time_endpoints(big), "page_ms": page_load_ms()}
    result["report_ratio"] = result["big"]["report_s"] / result["day"]["report_s"]
    result["series_ratio"] = result["big"]["series_s"] / result["day"]["series_s"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--days", type=float, default=365)
    args = parser.parse_args()
    r = run(args.accounts, args.days)
    day, big = r["day"], r["big"]
    print(f"/api/report: 1 day {day['report_s'] * 1000:.1f} ms, {args.days:g} days {big['report_s'] * 1000:.1f} ms, "
          f"ratio {r['report_ratio']:.2f}x (target <= 1.5x)")
    print(f"/api/series, a week: 1 day {day['series_s'] * 1000:.1f} ms, {args.days:g} days "
          f"{big['series_s'] * 1000:.1f} ms, ratio {r['series_ratio']:.2f}x (target <= 1.5x)")
    print(f"/api/series, {args.days:g} days downsampled to {big['year_points']} points: "
          f"{big['year_series_s'] * 1000:.0f} ms")
    page = "skipped (no playwright or Chromium)" if r["page_ms"] is None else f"{r['page_ms']:.0f} ms (target < 1000 ms)"
    print(f"page load to drawn charts, demo database, headless Chromium: {page}")


if __name__ == "__main__":
    main()
