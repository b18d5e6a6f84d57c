"""Builders shared by the tests: JWTs, auth files, response bodies."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

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
