"""Where things are: the data directory, the config file, the database URL, the Codex home.

Each location honours an environment variable before the platform default, so tests and
users can point everything elsewhere without flags. The status fast path resolves the database
here: no pathlib, and no platformdirs on Linux, at import or on that path.
"""

from __future__ import annotations

import os
import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

# The data directory's name, kept from the first release (the distribution is now codex-quota-history):
# existing databases live under it.
APP_NAME = "codex-usage-tracker"
DEFAULT_USAGE_URL = "https://chatgpt.com/backend-api/wham/usage"


_XDG = {"data": ("XDG_DATA_HOME", ".local/share"), "config": ("XDG_CONFIG_HOME", ".config")}


def user_dir(kind: str) -> str:
    """platformdirs' ``user_data_dir`` / ``user_config_dir`` of this tool (``kind``: data, config).

    On Linux and the BSDs it is the XDG rule, computed here without importing platformdirs (a
    status line cannot spare its milliseconds): ``$XDG_..._HOME`` when absolute, else under an
    absolute ``$HOME``. Anywhere else (macOS, Windows, Android, no usable HOME): platformdirs.
    """
    variable, under = _XDG[kind]
    home, xdg = os.environ.get("HOME", ""), os.environ.get(variable, "")
    android = os.environ.get("ANDROID_DATA") == "/data" and os.environ.get("ANDROID_ROOT") == "/system"
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and not android:
        if xdg.startswith("/"):
            return os.path.join(xdg, APP_NAME)
        if home.startswith("/"):
            return os.path.join(home.rstrip("/") + "/" + under, APP_NAME)
    import platformdirs

    find = platformdirs.user_data_dir if kind == "data" else platformdirs.user_config_dir
    return find(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """The per-user data directory (``TRACKER_HOME`` wins over the platform default)."""
    from pathlib import Path

    override = os.environ.get("TRACKER_HOME")
    if override:
        return Path(override).expanduser()
    return Path(user_dir("data"))


def config_file() -> str:
    """The config file: ``TRACKER_CONFIG`` when set, else ``config.toml`` in the user config directory."""
    override = os.environ.get("TRACKER_CONFIG")
    if override:
        return os.path.abspath(_expand(override))
    return os.path.join(user_dir("config"), "config.toml")


def default_db_path() -> Path:
    return data_dir() / "tracker.db"


def _default_db_file() -> str:
    """``default_db_path()`` as text, without pathlib."""
    override = os.environ.get("TRACKER_HOME")
    return os.path.join(os.path.expanduser(override) if override else user_dir("data"), "tracker.db")


def codex_home() -> Path:
    from pathlib import Path

    return Path(os.environ.get("CODEX_HOME") or "~/.codex").expanduser()


def _expand(value: str) -> str:
    """``~`` and ``~user`` expanded; one that names nobody is an error, not a directory called ``~x``."""
    expanded = os.path.expanduser(value)
    if expanded.startswith("~"):
        from tracker.errors import TrackerError

        raise TrackerError(f"cannot expand {value!r}: no such user (or no home directory)")
    return expanded


def db_url(value: str | None) -> str:
    """Turn ``--db`` / ``TRACKER_DB`` / the config file's ``database`` (a SQLAlchemy URL or a plain
    file path) into a URL; without any of them, tracker.db in the data directory."""
    value = value or os.environ.get("TRACKER_DB")
    if not value:
        from tracker.settings import load

        value = load().database or _default_db_file()
    if "://" in value:
        return value
    return "sqlite:///" + _resolve(_expand(value))


def _resolve(path: str) -> str:
    """``Path.resolve()`` as text (absolute, symlinks followed), without pathlib; a symlink loop is
    the RuntimeError pathlib raises (the command line turns it into one line)."""
    import errno

    resolved = os.path.realpath(path)
    try:
        os.stat(resolved)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RuntimeError(f"Symlink loop from {exc.filename!r}") from None
    return resolved


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite.

    ``sqlite:///file:/x.db?uri=true`` names the file ``/x.db`` (an SQLite URI), not a file called
    ``file:``: the file is what gets created private and checked for existence.
    """
    file = sqlite_file(url)
    if file is None:
        return None
    from pathlib import Path

    return Path(file)


def sqlite_file(url: str) -> str | None:
    """``sqlite_path`` as text."""
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
    return rest


def is_memory_sqlite(url: str) -> bool:
    """``sqlite://``, ``sqlite:///:memory:`` and friends: a database that keeps nothing."""
    return url.startswith("sqlite") and sqlite_path(url) is None


def display_url(url: str) -> str:
    """The URL with every password masked, in the user part or as ``?password=``."""
    masked = re.sub(r"(?i)([?&](?:password|passwd|pwd)=)[^&#]*", r"\1***", url)
    return re.sub(r"^([a-z0-9+.-]+://[^/@:]*:)[^/@]*@", r"\1***@", masked, flags=re.I)
