"""Every builder the tests share: auth files, usage bodies, points, session logs, databases,
processes. Tests import from here and never from one another.
"""

from __future__ import annotations

import base64
import json
import math
import os
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli.root import cli
from tracker.points import Point

# -- Auth files, usage bodies and the CLI -----------------------------------------------------------

USAGE_PATH = "/backend-api/wham/usage"
CREDITS_PATH = "/backend-api/wham/rate-limit-reset-credits"
NOW = 1_795_000_000  # 2026-11-18T11:06:40Z: the fixed clock of the tests
SECRETS: set[str] = set()  # every token a fixture made; the suite fails if one leaks anywhere


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(claims: dict | bytes) -> str:
    return f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"


def tokens_for(name: str, exp: int = 4_000_000_000) -> dict:
    """Distinctive secrets per account, so a leak of any of them can be searched for."""
    tokens = {
        "id_token": make_jwt({"email": f"{name}@example.com", "secret": f"ID-{name}-SECRET",
                              "https://api.openai.com/auth": {"chatgpt_plan_type": "plus",
                                                              "chatgpt_account_id": f"acc-{name}"}}),
        "access_token": make_jwt({"exp": exp, "secret": f"ACCESS-{name}-SECRET"}),
        "refresh_token": f"rt_REFRESH-{name}-SECRET",
        "account_id": f"acc-{name}",
    }
    SECRETS.update(tokens[k] for k in ("id_token", "access_token", "refresh_token"))
    SECRETS.add(tokens["access_token"].split(".")[1])
    return tokens


def write_auth(path: Path, name: str, exp: int = 4_000_000_000, tokens: dict | None = None) -> dict:
    tokens = tokens or tokens_for(name, exp)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"OPENAI_API_KEY": None, "tokens": tokens, "last_refresh": "2026-11-17T08:00:00Z"}))
    os.chmod(path, 0o600)
    return tokens


def usage_body(five_used: float = 42, weekly_used: float = 17, five_reset: int = NOW + 7200,
               weekly_reset: int = NOW + 400_000, plan: str = "plus") -> dict:
    return {
        "plan_type": plan,
        "rate_limit": {
            "allowed": True, "limit_reached": False,
            "primary_window": {"used_percent": five_used, "limit_window_seconds": 18000,
                               "reset_after_seconds": five_reset - NOW, "reset_at": five_reset},
            "secondary_window": {"used_percent": weekly_used, "limit_window_seconds": 604800,
                                 "reset_after_seconds": weekly_reset - NOW, "reset_at": weekly_reset},
        },
        "credits": {"has_credits": False, "unlimited": False, "balance": "0"},
    }


def all_secrets(tokens: dict) -> list[str]:
    return [tokens["access_token"], tokens["refresh_token"], tokens["id_token"],
            tokens["access_token"].split(".")[1], "SECRET"]


# -- a history collected at fixed instants (tests/cli) ------------------------------------

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
FIVE_RESET = int((T0 + timedelta(hours=4)).timestamp())  # 14:00
WEEK_RESET = int((T0 + timedelta(days=3)).timestamp())


def body(five, weekly):
    return {"plan_type": "pro", "rate_limit": {
        "primary_window": {"used_percent": five, "limit_window_seconds": 18000, "reset_at": FIVE_RESET},
        "secondary_window": {"used_percent": weekly, "limit_window_seconds": 604800, "reset_at": WEEK_RESET}}}


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def credit_item(credit_id: str, expires: datetime, status: str = "available", granted: datetime | None = None,
                **extra) -> dict:
    """One reset credit as the credits list gives it (times ISO-8601)."""
    granted = granted or expires - timedelta(days=30)
    return {"id": credit_id, "status": status, "reset_type": "codex_rate_limits",
            "title": "Full reset (Weekly + 5 hr)", "granted_at": iso(granted), "expires_at": iso(expires),
            "redeemed_at": None, **extra}


def credits_body(*items: dict) -> dict:
    return {"available_count": sum(1 for i in items if i.get("status") == "available"), "credits": list(items)}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def revisions() -> list[str]:
    """The Alembic revisions, oldest first."""
    from alembic.script import ScriptDirectory

    from tracker.storage.db import alembic_config

    return [r.revision for r in reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))]




def store_url(db) -> str:
    """A SQLite path or a PostgreSQL URL, as the Store wants it."""
    return str(db) if "://" in str(db) else f"sqlite:///{db}"


# -- Readings of one window for the analysis, forecast and backtest tests (a Friday, 09:00 UTC) -----

POINTS_T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
FIVE_H = 18000
WEEK_S = 604800
MONDAY = datetime(2026, 11, 2, tzinfo=UTC)


def pts(values, reset=POINTS_T0 + 5 * H, step_min=5, start=POINTS_T0, jitter=0):
    rng = random.Random(1)
    return [Point(start + timedelta(minutes=i * step_min), float(v),
                  None if reset is None else reset + timedelta(seconds=rng.randint(-jitter, jitter)))
            for i, v in enumerate(values)]


def at_minutes(m):
    return POINTS_T0 + timedelta(minutes=m)


def workweek(weeks, start=MONDAY, per_hour=1.0, heavy=None, step=H, reset_offset=timedelta(0)):
    """Hourly (or finer) readings of a weekly window: work hours 9-17 on weekdays use ``per_hour``
    points each (scaled per week by ``heavy``), nights and weekends nothing; whole percents."""
    points, t, used = [], start, 0.0
    reset = start + reset_offset + timedelta(weeks=1)
    end = start + timedelta(weeks=weeks)
    while t < end:
        if t >= reset:
            used, reset = 0.0, reset + timedelta(weeks=1)
        week = int((t - start) / timedelta(weeks=1))
        if t.weekday() < 5 and 9 <= t.hour < 17:
            used = min(100.0, used + per_hour * (heavy[week] if heavy else 1.0) * (step / H))
        points.append(Point(t, float(math.floor(used)), reset))
        t += step
    return points


def deadline_week(day_factors, weeks=4, per_hour=1.0):
    """``weeks`` of office hours at ``per_hour`` (9-17 on weekdays); in the last one each weekday
    uses ``day_factors[weekday]`` times that."""
    points, used, reset = [], 0.0, MONDAY + timedelta(weeks=1)
    t = MONDAY
    while t < MONDAY + timedelta(weeks=weeks):
        if t >= reset:
            used, reset = 0.0, reset + timedelta(weeks=1)
        last_week = t >= MONDAY + timedelta(weeks=weeks - 1)
        if t.weekday() < 5 and 9 <= t.hour < 17:
            used = min(100.0, used + per_hour * (day_factors[t.weekday()] if last_week else 1.0))
        points.append(Point(t, float(math.floor(used)), reset))
        t += H
    return points


# -- Codex session logs for the import tests: token_count lines in every shape, and a Codex home ----

SESSION_T0 = datetime(2025, 11, 16, 2, 0, tzinfo=UTC)


def session_ts(minutes):
    return (SESSION_T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def token_line(minutes, five=None, weekly=None, relative=False, limit_id="codex"):
    def window(used, minutes_len, reset_in):
        entry = {"used_percent": used, "window_minutes": minutes_len}
        if relative:
            entry["resets_in_seconds"] = reset_in
        else:
            entry["resets_at"] = int((SESSION_T0 + timedelta(minutes=minutes)).timestamp()) + reset_in
        return entry

    limits = {"limit_id": limit_id, "credits": None, "plan_type": "plus"}
    if five is not None:
        limits["primary"] = window(five, 300, 3600)
    if weekly is not None:
        limits["secondary"] = window(weekly, 10080, 86400)
    return json.dumps({"timestamp": session_ts(minutes), "type": "event_msg", "payload": {
        "type": "token_count", "info": {"total_token_usage": {"total_tokens": 100 * minutes}}, "rate_limits": limits}})


def other_lines(minutes):
    return [
        json.dumps({"timestamp": session_ts(minutes), "type": "session_meta", "payload": {"id": "x", "cwd": "/tmp"}}),
        json.dumps({"timestamp": session_ts(minutes), "type": "response_item", "payload": {"type": "message", "content": "hi " * 20}}),
        json.dumps({"timestamp": session_ts(minutes), "type": "event_msg", "payload": {"type": "agent_message", "message": "ok"}}),
    ]


def write_session_file(path, lines, newline_at_end=True):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + ("\n" if newline_at_end else ""))


def make_codex_home(tmp_path: Path) -> Path:
    """Both layouts, both reset formats, garbage lines, an archived log with a torn last line."""
    home = tmp_path / ".codex"
    # nested layout, absolute resets, both windows
    write_session_file(home / "sessions/2025/11/16/rollout-2025-11-16T02-00-00-a.jsonl",
          other_lines(0) + [token_line(1, 2.0, 25.0), token_line(2, 4.0, 26.0)] + other_lines(3))
    # flat older layout, relative resets, one window missing, garbage lines
    write_session_file(home / "sessions/rollout-old.jsonl", [
        token_line(10, 6.0, None, relative=True),
        "this is not json {",
        json.dumps({"timestamp": session_ts(11), "type": "event_msg", "payload": {"type": "token_count", "info": None, "rate_limits": None}}),
        json.dumps({"timestamp": session_ts(12), "type": "mystery", "payload": {}}),
        json.dumps({"timestamp": session_ts(13), "type": "event_msg", "payload": {"type": "token_count", "rate_limits": {"primary": "broken"}}}),
        token_line(14, None, 27.0, relative=True),
    ])
    # archived, with a truncated last line (still being written)
    write_session_file(home / "archived_sessions/rollout-2025-11-15.jsonl",
          [token_line(-60, 1.0, 24.0), token_line(-30, 1.5, 24.5)[:40]], newline_at_end=False)
    return home


# -- Builders for the fault suite: session lines, stored text, read-only files ----------------------

LOG_T0 = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


def session_line(minutes: float, used: float = 10.0, window: dict | None = None) -> str:
    at = LOG_T0 + timedelta(minutes=minutes)
    primary = {"used_percent": used, "window_minutes": 300, "resets_at": int(at.timestamp()) + 3600}
    primary.update(window or {})
    return json.dumps({"timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "type": "event_msg",
                       "payload": {"type": "token_count", "rate_limits": {"primary": primary}}})


def write_log(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def run(*args: str, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)


def one_line_error(result, code: int, text: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.output)
    assert len(result.stderr.splitlines()) == 1 and text in result.stderr, result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.stderr


def sqlite_rows(db: Path, query: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


def stored_text(db: Path) -> str:
    """Every text the database holds (raw bodies unpacked), to search for secrets."""
    from tracker.storage.codec import unpack_body

    with sqlite3.connect(db) as conn:
        tables = {name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")}
        parts = [str(row) for table in ("accounts", "snapshots", "series", "failures", "reset_credits",
                                        "reset_credit_fetches") if table in tables
                 for row in conn.execute(f"select * from {table}")]
        parts += [(unpack_body(raw) or b"").decode("utf-8", "replace")
                  for table in ("snapshots", "failures", "reset_credit_fetches") if table in tables
                  for (raw,) in conn.execute(f"select raw from {table}")]
    return "\n".join(parts)


def make_read_only(path: Path) -> None:
    """chmod is not enough for root: use the immutable flag there (skip if it is not allowed)."""
    if os.geteuid() != 0:
        path.chmod(0o555 if path.is_dir() else 0o444)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        pytest.skip("running as root without chattr +i: cannot make a path read-only")


def undo_read_only(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(0o755 if path.is_dir() else 0o644)


# -- The dashboard tests' demo database and clock ---------------------------------------------------

END = datetime.fromtimestamp(NOW - NOW % 300, tz=UTC)  # the demo's last snapshot: 2026-11-18 11:05 UTC
DEMO_ACCOUNTS = ["personal", "research", "work"]


class Clock:
    """The server's "now", moved by the test (never the wall clock)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def fill(url: str, accounts: int = 3, days: float = 7, end: datetime = END) -> str:
    """A demo history in the database at ``url`` (created and upgraded); returns the URL."""
    from tracker.cli.demo import fill_demo
    from tracker.storage.store import Store

    store = Store.open(url)
    try:
        fill_demo(store, accounts=accounts, days=days, end=end, tz=UTC)
    finally:
        store.close()
    return url


def get(server, path: str, **kwargs):
    """GET ``path`` from a running dashboard server."""
    import requests

    return requests.get(server.url + path.lstrip("/"), timeout=10, **kwargs)


def moves_db(path, t0: datetime) -> str:
    """Account "solo" from ``t0``: its 5-hour window's reset time moves 2 h later at t0+2h
    (50 → 55 %), then it resets late (seen at t0+9h, announced for t0+7h; 60 → 3 %); a steady
    weekly window beside it (so the page has every chart it asks for)."""
    from datetime import timedelta

    from tracker.kinds import FIVE_HOUR, MAIN_LIMIT, WEEKLY
    from tracker.records import SnapshotRecord, Usage, Window
    from tracker.storage.store import Store

    rows = [(0, 40.0, 5), (1, 50.0, 5), (2, 55.0, 7), (8.5, 60.0, 7), (9, 3.0, 14)]  # hours, used %, reset
    url = f"sqlite:///{path}"
    store = Store.open(url)
    try:
        store.add_snapshots([SnapshotRecord("solo", t0 + timedelta(hours=h), "api", Usage(windows=[
            Window(MAIN_LIMIT, FIVE_HOUR, 18000, used, t0 + timedelta(hours=reset)),
            Window(MAIN_LIMIT, WEEKLY, 604800, 10.0 + h, t0 + timedelta(days=5))], plan="pro"))
            for h, used, reset in rows])
    finally:
        store.close()
    return url


# -- Processes of the installed entry point -------------------------------------------------------

def tracker_process(args, env, **kw):
    return subprocess.Popen([sys.executable, "-m", "tracker", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def base_env(db, accounts, url):
    return {**os.environ, "TRACKER_DB": str(db), "TRACKER_ACCOUNT_DIR": str(accounts), "TRACKER_USAGE_URL": url}


# -- History-integrity scenarios (issue 20): readings shaped as real Codex data is ------------------

HIST_T0 = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)  # before the dashboard tests' clock (END)


def token_info(total=None, last=None) -> dict | None:
    """A token_count line's ``info``: ``total``/``last`` are (input, cached input, output, reasoning)."""
    def usage(counts):
        names = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")
        return {**dict(zip(names, counts, strict=True)), "total_tokens": counts[0] + counts[2]}

    if total is None and last is None:
        return None
    info: dict = {"model_context_window": 272000}
    if total is not None:
        info["total_token_usage"] = usage(total)
    if last is not None:
        info["last_token_usage"] = usage(last)
    return info


def counting_lines(count: int) -> list[str]:
    """``count`` session-log lines five minutes apart from ``HIST_T0``: used i %, weekly reset five
    days on, 1,000 input and 100 output tokens a line (cumulative totals that add up)."""
    return [rate_line(HIST_T0 + timedelta(minutes=5 * i), None, (float(i), HIST_T0 + timedelta(days=5)),
                      total=(1000 * (i + 1), 0, 100 * (i + 1), 0), last=(1000, 0, 100, 0)) for i in range(count)]


def rate_line(at: datetime, five=None, weekly=None, limit_id: str | None = "codex",
              limit_name: str | None = None, flat: bool = False, total=None, last=None) -> str:
    """One token_count line: ``five``/``weekly`` are (used %, reset time), or the used % alone in the
    older flat form (no reset time); ``total``/``last``: token counts (see ``token_info``), and
    with neither window a line without rate limits."""
    limits: dict = {"limit_id": limit_id} if limit_id else {}
    if limit_name:
        limits["limit_name"] = limit_name
    for prefix, value, minutes in (("primary", five, 300), ("secondary", weekly, 10080)):
        if value is None:
            continue
        if flat:
            limits.update({f"{prefix}_used_percent": value, f"{prefix}_window_minutes": minutes})
        else:
            limits[prefix] = {"used_percent": value[0], "window_minutes": minutes,
                              "resets_at": int(value[1].timestamp())}
    return json.dumps({"timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "type": "event_msg",
                       "payload": {"type": "token_count", "info": token_info(total, last),
                                   "rate_limits": limits if five is not None or weekly is not None else None}})


# (first use, announced reset, last activity, peak) in hours from HIST_T0: the second window resets
# early (at 8 h, announced 10.2 h); three true resets over three days
INTERLEAVED_WINDOWS = [(0, 5, 4, 60.0), (5.2, 10.2, 8, 40.0), (8, 13, 10, 30.0), (49, 54, 52, 50.0)]
INTERLEAVED_WEEK = (10.0, 35.0, HIST_T0 + timedelta(days=6))  # weekly: from, to, reset


def interleaved_home(root: Path, seed: int = 7) -> Path:
    """Two Codex sessions running at once over three days: readings seconds apart that disagree by
    a point or two, reset times jittering by up to 30 s, lines with equal timestamps, one late line
    of the old window after the early reset. Truth: ``INTERLEAVED_WINDOWS``, the weekly window
    rising 25 points and never resetting."""
    rnd = random.Random(seed)
    total = sum(peak for *_, peak in INTERLEAVED_WINDOWS)
    week_from, week_to, week_reset = INTERLEAVED_WEEK
    sessions: list[list[str]] = [[], []]
    done = 0.0
    for start, reset, last, peak in INTERLEAVED_WINDOWS:
        span = (last - start) * 3600
        for source, step in ((0, 45), (1, 70)):
            t, previous = 0.0, None
            while t <= span:
                at = HIST_T0 + timedelta(hours=start, seconds=t)
                if source == 1 and previous is not None and rnd.random() < 0.1:
                    at = previous  # the other session wrote at the same instant, another value
                true = 1.0 + (peak - 1.0) * t / span
                used = true if source == 0 else max(0.0, true - rnd.choice((0, 1, 2)))
                weekly = week_from + (week_to - week_from) * (done + true) / total
                jitter = timedelta(seconds=rnd.randint(-30, 30))
                sessions[source].append(rate_line(at, (round(used), HIST_T0 + timedelta(hours=reset) + jitter),
                                                  (round(weekly - (source and rnd.choice((0, 1)))), week_reset + jitter)))
                previous, t = at, t + step
        done += peak
    early = INTERLEAVED_WINDOWS[1]
    late_line_at = HIST_T0 + timedelta(hours=INTERLEAVED_WINDOWS[2][0], seconds=20)
    sessions[1].append(rate_line(late_line_at, (early[3] - 1, HIST_T0 + timedelta(hours=early[1])),
                                 (week_from, week_reset)))
    home = root / ".codex"
    for i, lines in enumerate(sessions):
        lines.sort(key=lambda line: json.loads(line)["timestamp"])
        write_session_file(home / f"sessions/2026/11/09/rollout-{i}.jsonl", lines)
    return home


def polled_records(account: str = "poll", step: timedelta = timedelta(hours=1), seed: int = 3):
    """Three days of collection every ``step``: five-hour windows that start at first use, idle
    hours in between (0 % with a reset time of now + 5 h), reset times jittering by up to a minute,
    two windows back to back. Returns (records, true five-hour resets, true peaks)."""
    from tracker.kinds import FIVE_HOUR, MAIN_LIMIT, WEEKLY
    from tracker.records import SnapshotRecord, Usage, Window

    rnd = random.Random(seed)
    windows = [(1, 45.0), (7, 80.0), (26, 30.0), (49, 100.0), (54, 20.0)]  # (first use hour, peak)
    records, t, end = [], HIST_T0, HIST_T0 + timedelta(hours=66)
    while t < end:
        hours = (t - HIST_T0).total_seconds() / 3600
        current = [(s, p) for s, p in windows if s <= hours < s + 5]
        jitter = timedelta(seconds=rnd.randint(-60, 60))
        if current:
            start, peak = current[0]
            used = round(min(peak, peak * (hours - start + 1) / 4), 1)
            five = Window(MAIN_LIMIT, FIVE_HOUR, 18000, used, HIST_T0 + timedelta(hours=start + 5) + jitter)
        else:
            five = Window(MAIN_LIMIT, FIVE_HOUR, 18000, 0.0, t + timedelta(hours=5) + jitter)
        weekly = Window(MAIN_LIMIT, WEEKLY, 604800, round(hours / 3, 1), HIST_T0 + timedelta(days=6) + jitter)
        records.append(SnapshotRecord(account, t + timedelta(seconds=rnd.randint(0, 20)), "api",
                                      Usage(windows=[five, weekly])))
        t += step
    # every window ends (idle hours follow the last): one reset each
    return records, len(windows), [peak for _, peak in windows]


def flat_home(root: Path) -> tuple[Path, list[float]]:
    """Session lines of the older flat form (no reset time): ten five-hour windows, read every ten
    minutes, each starting again near zero. Returns (home, true peaks)."""
    peaks = [13.0, 40.0, 25.0, 60.0, 9.0, 33.0, 71.0, 18.0, 52.0, 27.0]
    lines = []
    for i, peak in enumerate(peaks):
        start = HIST_T0 + timedelta(hours=6 * i)
        for k in range(13):  # two hours of use
            lines.append(rate_line(start + timedelta(minutes=10 * k), round(peak * k / 12), None, flat=True))
    home = root / ".codex-flat"
    write_session_file(home / "sessions/2026/11/09/rollout-flat.jsonl", lines)
    return home, peaks


# -- Simulated weeks of Codex use with token counts, for `tracker limits` (tests and bench/limits.py) ----

LIMITS_T0 = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday, before the tests' clock
TRUE_WEIGHTS = (1.0, 0.25, 6.0)  # what the server charges uncached input, cached input, output (not ours)


def simulate_use(seed: int, weeks: int, cut_at: datetime | None = None, cut_factor: float = 0.5,
                 start: datetime = LIMITS_T0, elsewhere: bool = True, intensity: float = 1.0,
                 cached_range: tuple[float, float] = (0.82, 0.95)) -> dict[str, list]:
    """Weeks of one person's Codex use as session-log events.

    Work days with two or three sessions (turns every 1-4 minutes, a context that grows, mostly
    cached), weekends mostly off; weeks differ in intensity (x0.4-1.6), in mix (cached share,
    output size; the cached share of input within ``cached_range``) and in use from elsewhere (none to a third of the week's, no tokens here, at any
    hour); days differ in model (about x0.8-1.25 on what a token costs). The server charges
    ``TRUE_WEIGHTS``, not the tracker's weights; used % is whole; a window at 100 % runs nothing.
    From ``cut_at`` on both windows hold ``cut_factor`` of what they held. Returns
    {session name: [(at, (five used %, reset), (weekly used %, reset), cumulative totals)]}.
    """
    rng = random.Random(seed)
    turns: list[tuple] = []  # (at, kind, session, token deltas, credits)
    for week in range(weeks):
        level = intensity * rng.uniform(0.4, 1.6)
        cached_share, output_scale = rng.uniform(*cached_range), rng.uniform(0.6, 1.5)
        share_elsewhere = rng.choice([0.0, 0.0, 0.1, 0.2, 0.35]) if elsewhere else 0.0
        week_credits = 0.0
        for day_n in range(7):
            day = start + timedelta(days=7 * week + day_n)
            model = math.exp(rng.gauss(0, 0.1))
            if day_n >= 5 and rng.random() < 0.8:
                continue
            for s_n, (hour, hours) in enumerate([(9, 3), (13.5, 4), (20, 2)]):
                if rng.random() > level * (0.35 if s_n == 2 else 0.8):
                    continue
                at = day + timedelta(hours=hour + rng.uniform(0, 0.5))
                end = at + timedelta(hours=hours * rng.uniform(0.5, 1.0))
                name, context = f"rollout-{day:%Y-%m-%d}-{s_n}-{seed}", 20000
                while at < end:
                    context = min(context + rng.randint(1000, 6000), 200_000)
                    cached = int(context * cached_share)
                    output = int(rng.lognormvariate(math.log(1500 * output_scale), 0.5))
                    credits = model * ((context - cached) * TRUE_WEIGHTS[0] + cached * TRUE_WEIGHTS[1]
                                       + output * TRUE_WEIGHTS[2])
                    week_credits += credits
                    turns.append((at, 1, name, (context, cached, output, output // 2), credits))
                    at += timedelta(seconds=rng.uniform(60, 240))
        chunks = round(share_elsewhere * 10)
        for _ in range(chunks):  # use elsewhere: no token counts here
            at = start + timedelta(days=7 * week + rng.uniform(0, 7))
            turns.append((at, 0, "", None, share_elsewhere * week_credits / chunks))
    turns.sort(key=lambda t: (t[0], t[1]))
    capacity = {"five": (5.0e6, timedelta(hours=5)), "weekly": (3.2e7, timedelta(days=7))}
    state = {"five": [0.0, None], "weekly": [0.0, None]}  # credits in the window, its reset time
    totals: dict[str, tuple] = {}
    sessions: dict[str, list] = {}
    for at, local, name, deltas, credits in turns:
        factor = cut_factor if cut_at is not None and at >= cut_at else 1.0
        for window_name, window in state.items():
            if window[1] is None or at >= window[1]:
                window[0], window[1] = 0.0, at + capacity[window_name][1]
        used = {n: 100 * w[0] / (capacity[n][0] * factor) for n, w in state.items()}
        if max(used.values()) >= 100:
            continue  # blocked: nothing runs
        for window_name, window in state.items():
            window[0] += credits
            used[window_name] = float(min(100, round(100 * window[0] / (capacity[window_name][0] * factor))))
        if local:
            total = tuple(a + b for a, b in zip(totals.get(name, (0, 0, 0, 0)), deltas, strict=True))
            totals[name] = total
            sessions.setdefault(name, []).append((at, (used["five"], state["five"][1]),
                                                  (used["weekly"], state["weekly"][1]), total))
    return sessions


def use_points(sessions: dict[str, list]):
    """The simulated sessions as a window's points and the token uses, as the store would give them."""
    from tracker.records import TokenCounts

    five, weekly, uses = [], [], []
    for lines in sessions.values():
        before = (0, 0, 0, 0)
        for at, (f_used, f_reset), (w_used, w_reset), totals in lines:
            five.append(Point(at, f_used, f_reset.replace(microsecond=0)))
            weekly.append(Point(at, w_used, w_reset.replace(microsecond=0)))
            uses.append((at, TokenCounts(*(a - b for a, b in zip(totals, before, strict=True)))))
            before = totals
    return sorted(five, key=lambda p: p.at), sorted(weekly, key=lambda p: p.at), sorted(uses, key=lambda u: u[0])


def use_home(root: Path, sessions: dict[str, list]) -> Path:
    """A Codex home with the simulated sessions as rollout files."""
    home = root / ".codex"
    for name, lines in sessions.items():
        write_session_file(home / f"sessions/{name}.jsonl",
                           [rate_line(at, five, weekly, total=totals) for at, five, weekly, totals in lines])
    return home


def database_at(db: Path, revision: str, account: str, series: list[tuple[str, str, int]], readings: int = 3) -> None:
    """A SQLite database stopped at ``revision`` holding one account, its ``series`` (limit, kind,
    length) and ``readings`` snapshots with a value of every series: what an older version left."""
    from tracker.storage.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine, revision)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO accounts (id, name, created_at) VALUES (1, '{account}', 0)")
        for sid, (limit, kind, seconds) in enumerate(series, 1):
            conn.exec_driver_sql(f"INSERT INTO series (id, account_id, limit_name, kind, window_seconds) "
                                 f"VALUES ({sid}, 1, '{limit}', '{kind}', {seconds})")
        for i in range(readings):
            conn.exec_driver_sql(f"INSERT INTO snapshots (id, account_id, collected_at, source) "
                                 f"VALUES ({i + 1}, 1, {1700000000000 + i}, 'api')")
            for sid in range(1, len(series) + 1):
                conn.exec_driver_sql(f"INSERT INTO windows VALUES ({sid}, {1700000000000 + i}, {i + 1}, {10 + i}, NULL)")
    engine.dispose()


def open_at_head(db: Path) -> None:
    """Open the database as every command does (upgrading it), and check it reached the head."""
    from tracker.storage.db import SCHEMA_HEAD, current_revision
    from tracker.storage.store import Store

    store = Store.open(f"sqlite:///{db}")
    assert current_revision(store.engine) == SCHEMA_HEAD
    store.close()
