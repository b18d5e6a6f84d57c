"""Exports: the rows of ``history``/``export`` in CSV, JSON, NDJSON, and the report's gauges in
the Prometheus text exposition format. Written atomically when a file is named."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from tracker.atomic import atomic_output
from tracker.insight.report import Report
from tracker.render import to_csv, to_json
from tracker.timeutil import iso_utc

SNAPSHOT_HEADERS = ["snapshot_id", "account", "collected_at", "source", "plan", "limit", "kind",
                    "window_seconds", "used_percent", "remaining_percent", "reset_at"]
FAILURE_HEADERS = ["account", "at", "kind", "http_status", "message"]
TIME_COLUMNS = {"collected_at", "reset_at", "at"}


def snapshot_rows(store, names, since, until, limit, newest_first) -> tuple[list[str], list[list]]:
    rows = [[h.snapshot_id, h.account, h.collected_at, h.source, h.plan, h.limit, h.kind, h.window_seconds,
             h.used_percent, h.remaining_percent, h.reset_at]
            for h in store.history(names, since, until, limit, newest_first)]
    return SNAPSHOT_HEADERS, rows


def failure_rows(store, names, since, until, limit, newest_first) -> tuple[list[str], list[list]]:
    rows = [[f.account, f.at, f.kind, f.http_status, f.message]
            for f in store.failures(names, since, until, limit, newest_first)]
    return FAILURE_HEADERS, rows


COUNT_CAP = 100_000  # counting further would cost as much as reading the history


def row_count(store, names, since, until, errors: bool) -> int:
    """The rows there are to show, up to COUNT_CAP."""
    if errors:
        return len(store.failures(names, since, until, COUNT_CAP, True))
    return store.history_count(names, since, until, COUNT_CAP)


def format_rows(headers: Sequence[str], rows: Sequence[Sequence], fmt: str) -> str:
    """csv, json (one array) or ndjson (one object per line); times as ISO 8601 UTC."""
    timed = {i for i, h in enumerate(headers) if h in TIME_COLUMNS}
    iso_rows = [[iso_utc(c) if i in timed and isinstance(c, datetime) else c for i, c in enumerate(r)] for r in rows]
    if fmt == "csv":
        return to_csv(headers, iso_rows)
    objects = [dict(zip(headers, r, strict=True)) for r in iso_rows]
    if fmt == "json":
        return to_json(objects) + "\n"
    if fmt == "ndjson":
        return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)
    raise ValueError(fmt)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _gauge(value: object) -> float | None:
    """A sample: times as Unix seconds, flags as 0/1, unknown as None (left out, never NaN)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)  # numbers, and booleans as 0/1


# name, help, the attribute of a window's figures it shows
METRICS = [
    ("codex_usage_used_percent", "Used share of the window, in percent (0-100).", "used_percent"),
    ("codex_usage_remaining_percent", "Remaining share of the window, in percent (0-100).", "remaining_percent"),
    ("codex_usage_reset_timestamp_seconds", "When the window resets, Unix seconds.", "reset_at"),
    ("codex_usage_burn_rate_percent_per_hour", "Burn rate over the current window's recent snapshots.", "burn_rate"),
    ("codex_usage_safe_rate_percent_per_hour", "The rate that would just last until the reset.", "safe_rate"),
    ("codex_usage_exhaustion_timestamp_seconds", "Expected time of reaching 100 %, Unix seconds.", "exhausts_at"),
    ("codex_usage_exhausts_before_reset", "1 when the window is expected to run out before it resets.",
     "exhausts_before_reset"),
    ("codex_usage_projected_used_percent_at_reset", "Expected used share of the window at its reset (0-100).",
     "projected"),
    ("codex_usage_run_out_probability", "Chance (0-1) that the window reaches 100 % before its reset.",
     "run_out_probability"),
    ("codex_usage_pace_delta_percent", "Used % minus an even pace's share of the window so far (negative: in reserve).",
     "pace_delta"),
    ("codex_usage_expected_rate_percent_per_hour", "Expected average pace from now to the reset, idle time included.",
     "expected_rate"),
]
# name, help, how to read it from an account's report
ACCOUNT_METRICS = [
    ("codex_usage_last_success_timestamp_seconds", "Time of the last stored snapshot, Unix seconds.",
     lambda a: a.last_snapshot_at),
    ("codex_usage_last_failure_timestamp_seconds", "Time of the last failed collection since the last success.",
     lambda a: a.last_error.at if a.last_error else None),
    ("codex_usage_stale", "1 when the last snapshot is older than the staleness limit.", lambda a: a.stale),
    ("codex_usage_effective_remaining_percent", "What is really left: the least of the main limit's windows.",
     lambda a: a.effective_remaining_percent),
    ("codex_usage_reset_credits_available", "Banked window resets the account can redeem (the credits list when "
     "known, else the usage answer's count).", lambda a: a.credits_usable),
    ("codex_usage_reset_credits_earliest_expiry_timestamp_seconds", "When the first usable reset credit expires, "
     "Unix seconds.", lambda a: a.credits_earliest_expiry),
    ("codex_usage_credits_balance", "The account's credits balance (credits.balance, as last collected).",
     lambda a: _balance(a.credits_balance)),
    ("codex_usage_blocked_seconds_this_week",
     "Seconds in the last 7 days the main quota sat at 100 % (overlapping windows counted once).",
     lambda a: a.blocked_seconds_this_week),
]


def _balance(text: str | None) -> float | None:
    """A balance the service sent as text, as a number; None when it is not one."""
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _sample(value: float) -> str:
    return repr(float(value))


def prometheus_text(report: Report) -> str:
    """Gauges for node_exporter's textfile collector; unknown values are left out, never NaN."""
    lines: list[str] = []
    for name, help_text, attribute in METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for account in report.accounts:
            for window in account.windows:
                value = _gauge(getattr(window.figures, attribute))
                if value is not None:
                    labels = _labels(account=account.account, limit=window.key.limit, kind=window.key.kind)
                    lines.append(f"{name}{labels} {_sample(value)}")
    for name, help_text, getter in ACCOUNT_METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for account in report.accounts:
            value = _gauge(getter(account))
            if value is not None:
                lines.append(f"{name}{_labels(account=account.account)} {_sample(value)}")
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> Path:
    with atomic_output(path) as handle:
        handle.write(text.encode("utf-8"))
    return path
