"""``tracker config``: where the config file is, and the settings in effect (secrets masked)."""

from __future__ import annotations

import os

import click

# (the setting as the file names it, the click parameter, its TRACKER_* variable, the built-in default)
SHOWN = (
    ("database", "db", "TRACKER_DB", None),
    ("time_zone", "tz", None, "the local zone"),
    ("stale_after", "stale_after", None, "30m"),
    ("accounts.account_dirs", "account_dirs", "TRACKER_ACCOUNT_DIR", "$CODEX_HOME/auth.json"),
    ("accounts.codex_homes", "codex_homes", None, "-"),
    ("notify.below", "below", "TRACKER_NOTIFY_BELOW", "10"),
    ("notify.before_reset", "before_reset", "TRACKER_NOTIFY_BEFORE_RESET", "false"),
    ("notify.min_probability", "min_probability", "TRACKER_NOTIFY_MIN_PROBABILITY", "0.5"),
    ("notify.stale", "stale", "TRACKER_NOTIFY_STALE", "-"),
    ("notify.on_reset", "on_reset", "TRACKER_NOTIFY_ON_RESET", "false"),
    ("notify.limit_change", "limit_change", "TRACKER_NOTIFY_LIMIT_CHANGE", "false"),
    ("notify.desktop", "desktop", "TRACKER_NOTIFY_DESKTOP", "false"),
    ("notify.webhooks", "webhooks", "TRACKER_NOTIFY_WEBHOOK", "-"),
    ("notify.exec", "exec_commands", "TRACKER_NOTIFY_EXEC", "-"),
    ("notify.deadline", "deadline", "TRACKER_NOTIFY_DEADLINE", "30s"),
    ("notify.after_collect", "notify", None, "false"),
)


@click.group()
def config() -> None:
    """The config file: where it is (`config path`), the settings in effect (`config show`).

    It holds the defaults of every command; flags and TRACKER_* variables win over it.

    \b
    Example:
        tracker config path
        tracker config show
    """


@config.command("path")
def config_path() -> None:
    """Print where the config file is (TRACKER_CONFIG, else config.toml in the user config directory)."""
    from tracker.config import config_file

    click.echo(config_file())


def _shown(name: str, value) -> str:
    """A value as it may be printed: webhook URLs show their host only, a database URL no password."""
    from tracker.config import display_url
    from tracker.notify.channels import mask_url

    values = list(value) if isinstance(value, list | tuple) else [value]
    if name == "notify.webhooks":
        values = [mask_url(v) for v in values]
    elif name == "database":
        values = [display_url(v) for v in values]
    return " ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)


@config.command("show")
def config_show() -> None:
    """Print the settings in effect and where each comes from (a variable, the file, the default).

    Secrets are masked: webhook URLs show their host, a database URL hides its password. A bad
    config file is one line naming the file and the line, exit 4.
    """
    from tracker import render
    from tracker.config import config_file
    from tracker.settings import load

    settings = load()
    path = config_file()
    exists = os.path.isfile(path)
    mode = f", mode {os.stat(path).st_mode & 0o777:04o}" if exists else ""
    click.echo(render.printable(f"config file: {path}" + (mode if exists else " (none yet)")))
    rows = []
    for name, param, variable, default in SHOWN:
        if variable and os.environ.get(variable):
            value, source = os.environ[variable], f"env {variable}"
        elif param in settings.values:
            value, source = settings.values[param], f"config, line {settings.lines.get(param)}"
        else:
            value, source = default, "default"
        if param == "db" and source == "default":
            from tracker.config import default_db_path

            value = str(default_db_path())
        rows.append((name, value if source == "default" else _shown(name, value), source))
    click.echo(render.table(["setting", "value", "from"], rows))
