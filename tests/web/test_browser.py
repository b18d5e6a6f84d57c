"""The dashboard in headless Chromium (Debian's, driven by playwright-python; no browser download).

Skipped with the reason when playwright or a Chromium binary is missing (.ci/run installs
Chromium with apt). ``python scripts/screenshots.py`` rewrites docs/dashboard.png and docs/demo.png.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from tests.fixtures import DEMO_ACCOUNTS, END, SECRETS, moves_db
from tracker.insight.ledger import TIMING_TEXT, build_ledger
from tracker.kinds import FIVE_HOUR, MAIN_LIMIT, WEEKLY
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
CHROMIUM = os.environ.get("TRACKER_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).is_file():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TRACKER_TEST_CHROMIUM)",
                allow_module_level=True)
TOKEN = "browser-TOKEN-0123456789abcdef"
SECRETS.add(TOKEN)  # the end-of-suite sweep fails the run if it shows up in any output or file
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


class Page:
    """A page with every console error and uncaught exception recorded."""

    def __init__(self, browser, **context) -> None:
        context = {"viewport": {"width": 1280, "height": 900}, "timezone_id": "UTC", **context}
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def open(self, url: str):
        self.page.goto(url)
        self.page.wait_for_selector("html[data-ready='1']", timeout=15000)
        return self.page


@pytest.fixture
def make_page(browser):
    pages = []

    def make(**context) -> Page:
        pages.append(Page(browser, **context))
        return pages[-1]

    yield make
    for page in pages:
        page.context.close()


def painted_pixels(page, canvas) -> int:
    """Pixels of a chart canvas that are not transparent: the axes, grid and lines drawn."""
    return canvas.evaluate("c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                           " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }")


def add_snapshot(url: str, at, five: float, weekly: float) -> None:
    store = Store.open(url)
    try:
        usage = Usage(windows=[Window(MAIN_LIMIT, FIVE_HOUR, 18000, five, at + timedelta(hours=3)),
                               Window(MAIN_LIMIT, WEEKLY, 604800, weekly, at + timedelta(days=2))], plan="pro")
        store.add_snapshots([SnapshotRecord("work", at, "api", usage)])
    finally:
        store.close()


def test_dashboard_shows_every_account_draws_hovers_and_refreshes(make_page, start_server, demo_url, clock,
                                                                    tmp_path):
    server = start_server(demo_url, refresh_seconds=1)
    view = make_page()
    page = view.open(server.url)
    cards = page.locator("article.card")
    expect(cards).to_have_count(3)
    assert [c.locator("h2").inner_text() for c in cards.all()] == DEMO_ACCOUNTS
    for card in cards.all():
        canvas = card.locator(".chart canvas")
        assert painted_pixels(page, canvas) > 5000, card.locator("h2").inner_text()
        assert card.locator(".windows tbody tr").count() == 2
        assert card.locator(".bars .bar").count() == 7
        assert card.locator(".resets tbody tr[data-timing]").count() > 3  # a week of resets
    research = page.locator("article.card[data-account='research']")
    expect(research.locator(".badges")).to_contain_text("EXPIRED")
    expect(research.locator(".error")).to_contain_text("expired since")
    expect(page.locator("article.card[data-account='work'] tr.binding")).to_have_count(1)

    work = page.locator("article.card[data-account='work']")
    legend = work.locator(".u-legend")
    expect(legend).to_contain_text("latest")  # nothing hovered yet: the latest values, not dashes
    weekly_used = work.locator("tr[data-kind='weekly'] td.used").inner_text()
    assert f"weekly{weekly_used}" in legend.inner_text().replace(" ", "").replace("\n", "")
    over = work.locator(".u-over")
    box = over.bounding_box()
    over.hover(position={"x": box["width"] * 0.6, "y": box["height"] / 2})  # scrolled into view first
    expect(legend.locator(".u-series").first.locator(".u-value")).to_contain_text("Nov")
    expect(legend).to_contain_text("%")

    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert (tmp_path / "dashboard.png").stat().st_size > 50_000

    five_used = work.locator("tr[data-kind='five_hour'] td.used")
    assert five_used.inner_text() != "77%" and work.get_attribute("data-drawn-snapshot") == "2026-11-18T11:05:00Z"
    page.mouse.move(0, 0)
    chart_before = work.locator("canvas").screenshot()
    later = END + timedelta(minutes=5)
    add_snapshot(demo_url, later, 77.0, 95.0)  # written after the page loaded
    clock.now = later + timedelta(seconds=30)
    expect(five_used).to_have_text("77%", timeout=15000)
    expect(work.locator("tr[data-kind='weekly'] td.used")).to_have_text("95%")
    expect(work).to_have_attribute("data-drawn-snapshot", "2026-11-18T11:10:00Z")  # the chart reloaded too
    assert work.locator("canvas").screenshot() != chart_before  # the chart was redrawn with the new point
    expect(work.locator(".last")).to_contain_text("11:10")
    assert view.errors == []


def test_time_zone_selector_and_themes(make_page, start_server, shared_demo_url):
    server = start_server(shared_demo_url)
    view = make_page(color_scheme="dark")
    page = view.open(server.url)
    work = page.locator("article.card[data-account='work'] .last")
    expect(work).to_contain_text("last snapshot 11:05")  # UTC, the browser's zone here
    page.select_option("#tz", "Asia/Tokyo")
    expect(work).to_contain_text("last snapshot 20:05")
    background = "getComputedStyle(document.body).backgroundColor"
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    dark = page.evaluate(background)
    page.select_option("#theme", "light")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert page.evaluate(background) != dark == "rgb(21, 23, 27)"
    page.reload()
    page.wait_for_selector("html[data-ready='1']")
    assert page.input_value("#tz") == "Asia/Tokyo" and page.input_value("#theme") == "light"  # remembered
    assert painted_pixels(page, page.locator("article.card canvas").first) > 5000
    assert view.errors == []


def test_zooming_a_chart_keeps_working(make_page, start_server, shared_demo_url):
    server = start_server(shared_demo_url)
    view = make_page()
    page = view.open(server.url)
    chart = page.locator("article.card[data-account='personal']")
    over = chart.locator(".u-over")
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    before = chart.locator("canvas").screenshot()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + 20, steps=5)
    page.mouse.up()
    page.mouse.move(0, 0)
    assert chart.locator("canvas").screenshot() != before  # the selected range fills the chart
    assert view.errors == []


def test_with_a_token_the_browser_needs_the_password(make_page, start_server, shared_demo_url):
    server = start_server(shared_demo_url, token=TOKEN)
    with pytest.raises(sync_api.Error, match="ERR_INVALID_AUTH_CREDENTIALS"):  # the 401 Basic challenge
        make_page().page.goto(server.url)
    wrong = make_page(http_credentials={"username": "me", "password": "wrong-password-0123456789"})
    assert wrong.page.goto(server.url).status == 401
    view = make_page(http_credentials={"username": "me", "password": TOKEN})
    page = view.open(server.url)
    expect(page.locator("article.card")).to_have_count(3)
    assert view.errors == []


def test_an_empty_database_says_what_to_do(make_page, start_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Store.open(url).close()
    view = make_page()
    view.page.goto(start_server(url).url)
    expect(view.page.locator("#status")).to_have_text("no snapshots stored yet: run `tracker collect` first")
    expect(view.page.locator("#status")).to_have_class("status failed")
    assert view.page.locator("article.card").count() == 0
    assert [e for e in view.errors if "404" not in e] == []  # only the browser's note of the 404 itself


def test_charts_load_as_cards_come_into_view(make_page, start_server, tmp_path):
    from tests.fixtures import fill

    url = fill(f"sqlite:///{tmp_path / 'team.db'}", accounts=12, days=1)
    view = make_page()
    page = view.open(start_server(url).url)
    cards = page.locator("article.card")
    expect(cards).to_have_count(12)
    drawn = page.locator("article.card[data-drawn-snapshot]")
    assert 0 < drawn.count() < 12  # only the cards on or near the screen
    last = cards.last
    assert last.locator("canvas").count() == 0
    last.scroll_into_view_if_needed()
    expect(last.locator("canvas")).to_have_count(1)
    assert painted_pixels(page, last.locator("canvas")) > 5000
    assert view.errors == []


def pct(value: float) -> str:
    """A percentage as the page writes it."""
    return f"{value:g}%" if value == int(value) else f"{value:.1f}%"


def test_the_reset_ledger_lists_every_accounts_resets_newest_first(make_page, start_server, shared_demo_url, clock):
    store = Store.open(shared_demo_url)
    try:
        events = build_ledger(store, (), clock.now - timedelta(days=30), clock.now, ("five_hour", "weekly"))
    finally:
        store.close()
    view = make_page()
    page = view.open(start_server(shared_demo_url).url)
    for account in DEMO_ACCOUNTS:
        mine = [e for e in events if e.account == account][::-1]
        rows = page.locator(f"article.card[data-account='{account}'] .resets tbody tr")
        expect(rows).to_have_count(len(mine))
        assert [r.get_attribute("data-window") for r in rows.all()] == [e.kind for e in mine]
        for row, event in zip(rows.all()[:3], mine, strict=False):
            seen, window, used, expected, timing = row.locator("td").all_inner_texts()
            assert event.seen_at.strftime("%H:%M") in seen and window == {"five_hour": "5h"}.get(event.kind, event.kind)
            assert used == f"{pct(event.used_before)} → {pct(event.used_after)}"
            assert event.expected_at.strftime("%H:%M") in expected and timing == TIMING_TEXT[event.timing]
    first_seen = page.locator("article.card[data-account='work'] .resets tbody tr td.seen").first
    newest = next(e for e in reversed(events) if e.account == "work")
    page.select_option("#tz", "Asia/Tokyo")  # the ledger follows the chosen zone
    expect(first_seen).to_contain_text((newest.seen_at + timedelta(hours=9)).strftime("%H:%M"))
    assert view.errors == []


def test_the_ledger_shows_moved_and_late_resets(make_page, start_server, tmp_path, clock):
    t0 = clock.now.replace(hour=0, minute=0, second=0, microsecond=0)  # all on one day: times without dates
    view = make_page()
    page = view.open(start_server(moves_db(tmp_path / "moves.db", t0)).url)
    rows = page.locator("article.card[data-account='solo'] .resets tbody tr")
    expect(rows).to_have_count(2)
    assert rows.nth(0).locator("td").all_inner_texts() == ["09:00", "5h", "60% → 3%", "07:00", "late"]
    assert rows.nth(1).locator("td").all_inner_texts() == ["02:00", "5h", "50% → 55%", "05:00 → 07:00", "moved later"]
    assert rows.nth(0).locator("td.timing").evaluate("c => getComputedStyle(c).color") != \
        rows.nth(0).locator("td.change").evaluate("c => getComputedStyle(c).color")  # late stands out
    assert view.errors == []


def test_the_projection_reaches_the_reset_with_now_and_the_next_reset(make_page, start_server, shared_demo_url,
                                                                       clock):
    import json
    from datetime import datetime

    from tests.fixtures import iso, run

    db = shared_demo_url.removeprefix("sqlite:///")
    report = json.loads(run("report", "--db", db, "--json", "--at", iso(clock.now)).stdout)
    view = make_page()
    page = view.open(start_server(shared_demo_url).url)
    now = clock.now.timestamp()
    for a in report["accounts"]:
        chart = page.locator(f"article.card[data-account='{a['account']}'] .chart")
        chart.scroll_into_view_if_needed()
        expect(chart).to_have_attribute("data-x-max", re.compile(r"\d"))
        end, reset, x_max = (float(chart.get_attribute(name) or 0) for name in
                             ("data-projection-end", "data-next-reset", "data-x-max"))
        assert x_max >= max(reset, end) > now  # the axis reaches the reset: the whole projection is drawn
        weekly = next(w for w in a["windows"] if w["kind"] == "weekly")
        if weekly["projected_used_percent_at_reset"] == weekly["used_percent"]:
            continue  # nothing expected: no path to draw
        ends_at = weekly["exhausts_at"] if weekly["exhausts_before_reset"] else weekly["reset_at"]
        assert end == pytest.approx(datetime.fromisoformat(ends_at).timestamp(), abs=1), a["account"]
    assert any(w["exhausts_before_reset"] for a in report["accounts"] for w in a["windows"])  # one runs out
    assert view.errors == []


def test_overview_narrow_layout_and_the_api_agree_for_twenty_accounts(make_page, start_server, tmp_path, clock):
    import json

    from tests.fixtures import fill, iso, run

    db = tmp_path / "twenty.db"
    fill(f"sqlite:///{db}", accounts=20, days=2)
    report = json.loads(run("report", "--db", db, "--json", "--at", iso(clock.now)).stdout)
    view = make_page(viewport={"width": 420, "height": 900})
    page = view.open(start_server(f"sqlite:///{db}").url)
    chips = page.locator("#overview a.chip")
    expect(chips).to_have_count(20)
    assert page.evaluate("document.documentElement.scrollWidth") <= 420  # no horizontal overflow
    for a in report["accounts"]:  # the page takes binding window and severity from the API, never decides
        card = page.locator(f"article.card[data-account='{a['account']}']")
        assert (card.get_attribute("data-severity"), card.get_attribute("data-binding")) == \
            (a["severity"], a["binding_kind"] or "")
        assert card.locator("tr.binding").get_attribute("data-kind") == a["binding_kind"]
        assert f"sev-{a['severity']}" in page.locator(f"#overview a.chip[data-account='{a['account']}']"
                                                      ).get_attribute("class")
    def urgency(a):
        out = [w["exhausts_at"] for w in a["windows"] if w["exhausts_before_reset"] and w["exhausts_at"]
               and not w["reset_since_last_snapshot"]]
        return (min(out) if out else "~", a["effective_remaining_percent"], a["account"])

    order = [c.get_attribute("data-account") for c in chips.all()]
    assert order == [a["account"] for a in sorted(report["accounts"], key=urgency)]
    first = chips.first
    if any(a["runs_out_before_reset"] for a in report["accounts"]):
        expect(first).to_contain_text("runs out")  # who runs out, and when, without a hover
    last_card = page.locator(f"article.card[data-account='{order[-1]}']")
    chips.last.click()
    expect(last_card).to_be_in_viewport()
    expect(last_card.locator("canvas")).to_have_count(1)  # it loads once it is in view
    assert last_card.bounding_box()["width"] <= 420
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
    assert view.errors == []


def test_a_monthly_window_blocked_spans_and_the_credits_balance(make_page, start_server, tmp_path, clock):
    """Issue 24: a free account's monthly window is its own row and line; the card lists the last
    7 days' blocked spans with their total, and shows the credits balance."""
    from tracker.kinds import MONTHLY

    now = clock.now
    url = f"sqlite:///{tmp_path / 'month.db'}"
    store = Store.open(url)
    month_reset = now + timedelta(days=10)
    records = []
    for i in range(0, 24 * 4):  # hourly for four days: five-hour windows fill to 100 % 2 h before their reset
        at = now - timedelta(hours=24 * 4 - 1 - i)
        start = at - timedelta(hours=at.hour % 5)
        five = min(100.0, 50.0 * (at - start).total_seconds() / 3600)
        usage = Usage(windows=[Window(MAIN_LIMIT, FIVE_HOUR, 18000, five, start + timedelta(hours=5)),
                               Window(MAIN_LIMIT, MONTHLY, 30 * 86400, 40.0 + i / 10, month_reset)],
                      plan="free", credits_balance="12.50")
        records.append(SnapshotRecord("free", at, "api", usage))
    store.add_snapshots(records)
    store.close()
    view = make_page()
    page = view.open(start_server(url).url)
    card = page.locator("article.card[data-account='free']")
    expect(card.locator(".windows tbody tr[data-kind='monthly'] td").first).to_have_text("monthly")
    expect(card.locator(".credits")).to_have_text("credits 12.50")
    blocked = card.locator(".blocked")
    expect(blocked).to_be_visible()
    report = page.evaluate("fetch('/api/report').then(r => r.json())")
    [account] = [a for a in report["accounts"] if a["account"] == "free"]
    assert account["blocked_seconds_this_week"] > 0 and account["credits_balance"] == "12.50"
    expect(blocked.locator("li")).to_have_count(len(account["blocked_spans"]))
    assert blocked.get_attribute("data-seconds") == str(account["blocked_seconds_this_week"])
    hours = account["blocked_seconds_this_week"] // 3600
    expect(card.locator(".blocked-total")).to_contain_text(f"{hours} h")
    expect(blocked.locator("li").first).to_contain_text("5h: ")
    expect(card.locator(".chart canvas").first).to_be_visible()


def test_reset_credits_and_their_advice_on_the_card(make_page, start_server, demo_url, clock):
    from tracker.records import CreditsReading, ResetCredit

    soon = clock.now + timedelta(hours=20)
    store = Store.open(demo_url)
    try:
        store.record_credits("work", CreditsReading("ok", END, 2, (
            ResetCredit("rc-soon", "available", "codex_rate_limits", "Full reset", END - timedelta(days=29), soon),
            ResetCredit("rc-far", "available", "codex_rate_limits", "Full reset", END, END + timedelta(days=30)))))
        store.record_credits("personal", CreditsReading("ok", END - timedelta(hours=2), 1, (
            ResetCredit("rc-p", "available", expires_at=END + timedelta(days=9)),)))
        store.record_credits("personal", CreditsReading("unknown", END, error="HTTP 404: Not Found"))
        store.record_credits("research", CreditsReading("unknown", END, error="HTTP 404: Not Found"))
    finally:
        store.close()
    view = make_page()
    page = view.open(start_server(demo_url).url)
    work = page.locator("article.card[data-account='work'] .reset-credits")
    expect(work).to_be_visible()
    expect(work.locator(".credits-line")).to_contain_text("reset credits: 2 usable, first expires")
    expect(work.locator(".credits-line")).to_contain_text("(in 20h")
    expect(work.locator("li.expires_soon")).to_contain_text("a reset credit expires unused in 20h")
    personal = page.locator("article.card[data-account='personal'] .reset-credits .credits-line")  # the last list read stays
    expect(personal).to_contain_text("reset credits: 1 usable, first expires")
    expect(personal).to_contain_text("(list unreadable, last asked 11:05)")
    expect(page.locator("article.card[data-account='research'] .reset-credits")).to_be_hidden()  # unknown, none usable
    assert view.errors == []


def test_a_weekly_only_account_asks_only_for_its_window(make_page, start_server, tmp_path, clock):
    """The card fetches the windows the report shows: a weekly-only account draws its week and the
    page asks for no five-hour series (a 404 there was an error in the console)."""
    now = clock.now
    url = f"sqlite:///{tmp_path / 'week.db'}"
    store = Store.open(url)
    store.add_snapshots([SnapshotRecord("weekly-only", now - timedelta(hours=h), "api", Usage(windows=[
        Window(MAIN_LIMIT, WEEKLY, 604800, 60.0 - h, now + timedelta(days=2))], plan="plus")) for h in range(24)])
    store.close()
    view = make_page()
    asked: list[str] = []
    view.page.on("request", lambda r: asked.append(r.url) if "/api/series" in r.url else None)
    page = view.open(start_server(url).url)
    card = page.locator("article.card[data-account='weekly-only']")
    expect(card.locator(".chart canvas").first).to_be_visible()
    expect(card.locator(".windows tbody tr")).to_have_count(1)
    assert asked and all("kind=weekly" in u for u in asked)
    assert view.errors == []
