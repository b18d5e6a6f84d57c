"""Regenerate the README's pictures from the demo: docs/demo.png (the chart) and docs/dashboard.png.

    python scripts/screenshots.py            # needs the dev extra and Debian's chromium (/usr/bin/chromium)

The demo history is the one ``tracker demo`` makes (seed 1, three accounts, three weeks so that
the forecast has a range to shade; the pictures show the last one), ending at a
fixed moment so that the pictures only change when the code does. The dashboard is served by the
real server on a free loopback port and photographed by headless Chromium at 1280 px, with the
clock one minute after the last snapshot.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
END = datetime(2026, 11, 18, 11, 5, tzinfo=UTC)  # a Wednesday: the week shows work days and a weekend


def build_demo(path: Path, accounts: int) -> str:
    from tracker.cli.demo import fill_demo
    from tracker.storage.store import Store

    url = f"sqlite:///{path}"
    with Store.open(url) as store:
        fill_demo(store, accounts=accounts, days=21, interval=timedelta(minutes=5), seed=1, end=END, tz=UTC)
    return url


def chart(url: str, out: Path, accounts: int) -> None:
    from tracker.kinds import FIVE_HOUR, WEEKLY
    from tracker.storage.store import Store
    from tracker.views.chartfile import write_chart

    now = END + timedelta(minutes=1)
    with Store.open(url, readonly=True) as store:
        write_chart(store, (), now - timedelta(days=7), now, (FIVE_HOUR, WEEKLY), UTC, now, str(out),
                    f"Codex usage (demo, {accounts} accounts)")


def dashboard(url: str, out: Path, chromium: str, width: int) -> None:
    from playwright.sync_api import sync_playwright

    from tracker.web.server import RunningServer, ServeOptions

    now = END + timedelta(minutes=1)
    with RunningServer(ServeOptions(db_url=url, clock=lambda: now)) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True)
        try:
            page = browser.new_context(viewport={"width": width, "height": 900}, timezone_id="UTC").new_page()
            page.goto(server.url)
            page.wait_for_selector("html[data-ready='1']", timeout=20000)
            for card in page.locator("article.card").all():  # every chart drawn, not only the first screen
                card.scroll_into_view_if_needed()
                card.locator(".chart canvas").wait_for(timeout=20000)
            page.evaluate("window.scrollTo(0, 0)")
            page.mouse.move(0, 0)
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--width", type=int, default=1280, help="the dashboard's viewport width in pixels")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="where to write the PNGs")
    parser.add_argument("--chromium", default=os.environ.get("TRACKER_TEST_CHROMIUM") or shutil.which("chromium")
                        or "/usr/bin/chromium")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="tracker-shots-") as tmp:
        url = build_demo(Path(tmp) / "demo.db", args.accounts)
        chart(url, args.docs / "demo.png", args.accounts)
        dashboard(url, args.docs / "dashboard.png", args.chromium, args.width)
    print(f"wrote {args.docs / 'demo.png'} and {args.docs / 'dashboard.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
