"""Builders shared by the tests: JWTs, auth files, response bodies."""

from __future__ import annotations

import base64
import json
import os
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from tracker.cli import cli

USAGE_PATH = "/backend-api/wham/usage"
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


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def revisions() -> list[str]:
    """The Alembic revisions, oldest first."""
    from alembic.script import ScriptDirectory

    from tracker.db import alembic_config

    return [r.revision for r in reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))]


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def store_url(db) -> str:
    """A SQLite path or a PostgreSQL URL, as the Store wants it."""
    return str(db) if "://" in str(db) else f"sqlite:///{db}"
