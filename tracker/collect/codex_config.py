"""The usage URL Codex itself would ask, from ``$CODEX_HOME/config.toml``'s ``chatgpt_base_url``.

Codex takes its backend from that key (default ``https://chatgpt.com/backend-api``); a bare
``https://chatgpt.com`` (or ``chat.openai.com``) gets ``/backend-api`` appended. A base holding
``/backend-api`` is asked at ``{base}/wham/usage``, any other at ``{base}/api/codex/usage``
(``urls.usage_url``). An account read from a Codex home follows its file, so a home set up for
a proxy or another deployment is asked where Codex asks; ``--url`` still wins.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

CONFIG_NAME = "config.toml"
MAX_CONFIG_BYTES = 1 << 20
_CHATGPT_HOSTS = ("chatgpt.com", "chat.openai.com")


def chatgpt_base_url(home: Path) -> str | None:
    """``chatgpt_base_url`` from the home's config.toml; None when the file, or the key, is not
    there or cannot be read (Codex then uses its default, and so do we)."""
    import tomllib

    from tracker.fsutil import open_regular

    try:
        with open_regular(home / CONFIG_NAME) as handle:
            data = tomllib.loads(handle.read(MAX_CONFIG_BYTES).decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, RecursionError, RuntimeError):
        return None
    value = data.get("chatgpt_base_url")
    return value.strip() if isinstance(value, str) and value.strip() else None


def base_to_usage_url(base: str) -> str:
    """Codex's rule: a bare ChatGPT host gets ``/backend-api``; then ``urls.usage_url``'s
    choice of ``/wham/usage`` or ``/api/codex/usage``."""
    from tracker.collect.urls import check_url, usage_url

    base = check_url(base.rstrip("/"))  # first: urlsplit raises for a URL it cannot parse (https://[::1)
    parts = urlsplit(base)
    if (parts.hostname or "") in _CHATGPT_HOSTS and "/backend-api" not in parts.path:
        base += "/backend-api"
    return usage_url(base)


def home_usage_url(auth_path: Path) -> str | None:
    """The usage URL for an account whose credentials are ``HOME/auth.json``, when HOME's
    config.toml names a base; None otherwise (use the default)."""
    if auth_path.name != "auth.json":
        return None
    from tracker.errors import UnsafeURLError

    base = chatgpt_base_url(auth_path.parent)
    if not base:
        return None
    try:
        return base_to_usage_url(base)
    except UnsafeURLError as exc:
        raise UnsafeURLError(f"{auth_path.parent / CONFIG_NAME} (chatgpt_base_url): {exc.message}") from None
