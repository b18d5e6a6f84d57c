"""The config file: the defaults people would otherwise repeat on every command line and in every
schedule (``config.toml`` in the user config directory; ``tracker config path`` prints it).

Flags win over ``TRACKER_*`` variables, which win over this file, which wins over the built-in
defaults. A bad entry is an error naming the file and its line (exit 4); a file holding a secret
(a webhook URL, a database password) must be readable by its owner alone (mode 0600).

The status fast path reads it (database, time zone, stale-after) without click: no dataclasses,
no typing here, and the file is parsed only when it exists.
"""

from __future__ import annotations

import os
import re

from tracker.errors import EXIT_SETUP, TrackerError


class ConfigError(TrackerError):
    """A config file that cannot be used as it is: the message names the file and the line."""

    exit_code = EXIT_SETUP


def _text(value):
    return value if isinstance(value, str) and value.strip() else None


def _path_text(value):
    """Text a path can hold: no NUL (the operating system refuses it) and at most 4,096 characters."""
    return _text(value) if isinstance(value, str) and "\0" not in value and len(value) <= 4096 else None


def _texts(value, each=_text):
    """A string or a list of strings."""
    items = [value] if isinstance(value, str) else value
    if isinstance(items, list) and items and all(each(v) for v in items):
        return tuple(items)
    return None


def _path_texts(value):
    """A path or a list of them (a NUL in one was an internal error, exit 5)."""
    return _texts(value, _path_text)


def _flag(value):
    return value if isinstance(value, bool) else None


def _number(low: float, high: float):
    def check(value):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
        return float(value) if ok else None
    return check


def _table(value):
    """Account names (printable: no control or bidi character, at most 200) and paths."""
    if isinstance(value, dict) and value and all(_path_text(v) for v in value.values()) and \
            all(k.strip() and k.isprintable() and len(k) <= 200 and "=" not in k and "/" not in k for k in value):
        return dict(value)
    return None


# (table, key): (check returning the value or None, what is expected, the click parameter it sets)
KEYS = {
    ("", "database"): (_path_text, "a path or a database URL, as text (no NUL, at most 4096 characters)", "db"),
    ("", "time_zone"): (_text, 'a zone as text, like "Europe/Paris", "UTC" or "+02:00"', "tz"),
    ("", "stale_after"): (_text, 'a duration as text, like "30m"', "stale_after"),
    ("accounts", "account_dirs"): (_path_texts, "a directory, or a list of them, as text (no NUL, at most 4096 "
                                   "characters each)", "account_dirs"),
    ("accounts", "codex_homes"): (_table, 'a table of names and directories: { work = "~/.codex-work" } (names '
                                  'of printable characters, at most 200)', "codex_homes"),
    ("notify", "below"): (_number(0, 100), "a number from 0 to 100 (% left)", "below"),
    ("notify", "before_reset"): (_flag, "true or false", "before_reset"),
    ("notify", "min_probability"): (_number(0.01, 1), "a number from 0.01 to 1", "min_probability"),
    ("notify", "stale"): (_text, 'a duration as text, like "1h"', "stale"),
    ("notify", "on_reset"): (_flag, "true or false", "on_reset"),
    ("notify", "limit_change"): (_flag, "true or false", "limit_change"),
    ("notify", "credit_expiry"): (_text, 'a duration as text, like "48h"', "credit_expiry"),
    ("notify", "desktop"): (_flag, "true or false", "desktop"),
    ("notify", "webhooks"): (_texts, "a URL, or a list of them, as text", "webhooks"),
    ("notify", "exec"): (_texts, "a command, or a list of them, as text", "exec_commands"),
    ("notify", "deadline"): (_text, 'a duration as text, like "30s"', "deadline"),
    ("notify", "after_collect"): (_flag, "true or false", "notify"),
}
TABLES = ("accounts", "notify")
DURATIONS = ("stale_after", "stale", "deadline")
CHANNELS = ("desktop", "webhooks", "exec_commands")


class Settings:
    """The file's values by click parameter name (``values``), and where they came from."""

    def __init__(self, path: str, values: dict | None = None, lines: dict | None = None) -> None:
        self.path = path
        self.values = values or {}
        self.lines = lines or {}  # parameter name -> line in the file

    @property
    def database(self) -> str | None:
        return self.values.get("db")

    @property
    def time_zone(self) -> str | None:
        return self.values.get("tz")

    def get(self, name: str, default=None):
        return self.values.get(name, default)

    def secrets(self) -> list[str]:
        """The entries that are secrets: webhook URLs (their token is in them), a database password."""
        found = ["notify.webhooks"] if self.values.get("webhooks") else []
        db = self.values.get("db") or ""
        if re.search(r"(?i)^[a-z0-9+.-]+://[^/@:]*:[^/@]*@|[?&](password|passwd|pwd)=", db):
            found.append("database")
        return found


def _line_of(text: str, table: str, key: str) -> int | None:
    """The line where ``key`` is set in ``table`` ("" the top), by a plain scan of the text."""
    current, fallback = "", None
    pattern = re.compile(r'\s*(["\']?)' + re.escape(key) + r'\1\s*=')
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[+\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1).strip("\"'")
            continue
        dotted = re.match(r"\s*" + re.escape(table) + r"\s*\.\s*" + re.escape(key) + r"\s*=", line) if table else None
        if (current == table and pattern.match(line)) or dotted:
            return number
        if fallback is None and (pattern.match(line) or re.search(r"[{,]\s*" + re.escape(key) + r"\s*=", line)):
            fallback = number
    return fallback


def _table_line(text: str, table: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"\s*\[\s*" + re.escape(table) + r"\s*\]", line) or re.match(r"\s*" + re.escape(table) + r"\s*[.=]", line):
            return number
    return None


def _where(path: str, line: int | None) -> str:
    return f"{path}, line {line}" if line else path


def _parse(path: str, text: str) -> Settings:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) or "not TOML"
        line = int(found.group(1)) if found else getattr(exc, "lineno", None)
        raise ConfigError(f"{_where(path, line)}: not valid TOML: {message}") from None
    settings = Settings(path)
    for name, value in data.items():
        entries = value.items() if name in TABLES and isinstance(value, dict) else [(name, value)]
        table = name if name in TABLES and isinstance(value, dict) else ""
        if name in TABLES and not isinstance(value, dict):
            raise ConfigError(f"{_where(path, _table_line(text, name))}: [{name}] must be a table")
        for key, raw in entries:
            line = _line_of(text, table, key)
            label = f"{table}.{key}" if table else key
            if (table, key) not in KEYS:
                known = ", ".join(k for t, k in KEYS if t == table)
                raise ConfigError(f"{_where(path, line)}: unknown key {key!r}"
                                  f"{f' in [{table}]' if table else ''} (known: {known}"
                                  f"{', [accounts], [notify]' if not table else ''})")
            check, expected, param = KEYS[(table, key)]
            checked = check(raw)
            if checked is None:
                raise ConfigError(f"{_where(path, line)}: {label} must be {expected}")
            settings.values[param], settings.lines[param] = _value(path, table, key, checked, line), line
    return settings


def _value(path: str, table: str, key: str, value, line: int | None):
    """The value as the command line would give it: durations and zones checked, paths expanded
    (relative to the file's directory), Codex homes as ``NAME=DIR``."""
    from tracker.timeutil import get_zone, parse_duration

    base = os.path.dirname(os.path.abspath(path))

    def place(text: str) -> str:
        return os.path.join(base, os.path.expanduser(text))  # an absolute path stays as it is

    try:
        if key in DURATIONS:
            parse_duration(value)
        elif key == "time_zone":
            get_zone(value)
        elif key == "database" and "://" not in value:
            return place(value)
        elif key == "account_dirs":
            return tuple(place(v) for v in value)
        elif key == "codex_homes":
            return tuple(f"{name}={place(home)}" for name, home in value.items())
    except TrackerError as exc:
        raise ConfigError(f"{_where(path, line)}: {f'{table}.' if table else ''}{key}: {exc.message}") from None
    return value


def _private(path: str, settings: Settings, mode: int) -> None:
    secrets = settings.secrets()
    if secrets and os.name == "posix" and mode & 0o077:
        raise ConfigError(f"{path} holds a secret ({', '.join(secrets)}) but other users may read it "
                          f"(mode {mode & 0o777:04o}): run `chmod 600 {path}`, or move the secret to a "
                          "TRACKER_* variable")


_cache: dict[tuple, Settings] = {}


_MAX_BYTES = 1 << 20


def load(path: str | None = None) -> Settings:
    """The settings of the config file (``config.file()`` unless ``path``); empty when there is none."""
    from tracker.config import config_file

    path = path or config_file()
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return Settings(path)
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror}") from None
    if st.st_mode & 0o170000 != 0o100000:  # a FIFO or a device (/dev/zero) would hang or fill memory
        raise ConfigError(f"cannot read the config file {path}: not a regular file")
    key = (path, st.st_mtime_ns, st.st_size, st.st_mode, st.st_ino)
    if key not in _cache:
        try:
            with open(path, "rb") as handle:
                data = handle.read(_MAX_BYTES + 1)
            if len(data) > _MAX_BYTES:
                raise ConfigError(f"cannot read the config file {path}: larger than 1 MiB")
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the config file {path}: {getattr(exc, 'strerror', None) or exc}") from None
        settings = _parse(path, text)
        _private(path, settings, st.st_mode)
        _cache.clear()
        _cache[key] = settings
    return _cache[key]
