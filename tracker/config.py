"""Where things are: the data directory, the database URL, the Codex home.

Each location honours an environment variable before the platform default, so tests and
users can point everything elsewhere without flags.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# The data directory's name, kept from the first release (the distribution is now codex-quota-history):
# existing databases live under it.
APP_NAME = "codex-usage-tracker"
DEFAULT_USAGE_URL = "https://chatgpt.com/backend-api/wham/usage"


def data_dir() -> Path:
    """The per-user data directory (``TRACKER_HOME`` wins over the platform default)."""
    override = os.environ.get("TRACKER_HOME")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "tracker.db"


def codex_home() -> Path:
    return Path(os.environ.get("CODEX_HOME") or "~/.codex").expanduser()


def db_url(value: str | None) -> str:
    """Turn ``--db`` / ``TRACKER_DB`` (a SQLAlchemy URL or a plain file path) into a URL."""
    value = value or os.environ.get("TRACKER_DB") or str(default_db_path())
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value).expanduser().resolve())


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite.

    ``sqlite:///file:/x.db?uri=true`` names the file ``/x.db`` (an SQLite URI), not a file called
    ``file:``: the file is what gets created private and checked for existence.
    """
    if not url.startswith("sqlite"):
        return None
    _, _, rest = url.partition(":///")
    rest, _, query = rest.partition("?")
    if rest.startswith("file:") and "uri=true" in query.lower():
        from urllib.parse import parse_qs, unquote, urlsplit

        parts = urlsplit(rest + ("?" + query if query else ""))
        if parse_qs(parts.query).get("mode") == ["memory"]:
            return None
        rest = unquote(parts.path)
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


def is_memory_sqlite(url: str) -> bool:
    """``sqlite://``, ``sqlite:///:memory:`` and friends: a database that keeps nothing."""
    return url.startswith("sqlite") and sqlite_path(url) is None


def display_url(url: str) -> str:
    """The URL with every password masked, in the user part or as ``?password=``."""
    masked = re.sub(r"(?i)([?&](?:password|passwd|pwd)=)[^&#]*", r"\1***", url)
    return re.sub(r"^([a-z0-9+.-]+://[^/@:]*:)[^/@]*@", r"\1***@", masked, flags=re.I)
