"""Builders for the fault suite: session-log lines, a Codex home, CLI runs, stored text."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli

T0 = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


def session_line(minutes: float, used: float = 10.0, window: dict | None = None) -> str:
    at = T0 + timedelta(minutes=minutes)
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
    from tracker.codec import unpack_body

    with sqlite3.connect(db) as conn:
        parts = [str(row) for table in ("accounts", "snapshots", "series", "failures")
                 for row in conn.execute(f"select * from {table}")]
        parts += [(unpack_body(raw) or b"").decode("utf-8", "replace")
                  for table in ("snapshots", "failures") for (raw,) in conn.execute(f"select raw from {table}")]
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
