"""Where things are: the data directory, the database URL, the Codex home.

Each location honours an environment variable before the platform default, so tests and
users can point everything elsewhere without flags.
"""

from __future__ import annotations

import os
from pathlib import Path

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
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    if not url.startswith("sqlite"):
        return None
    _, _, rest = url.partition(":///")
    rest = rest.split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)
