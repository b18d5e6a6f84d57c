"""``tracker schedule``: install, show and remove a per-user schedule for ``tracker collect``.

systemd user timer where systemd runs, launchd agent on macOS, a crontab line otherwise. Each
thing installed carries a marker, so ``remove`` takes away exactly what ``install`` put there and
nothing else. Plans are plain data, so ``--print`` shows them without touching anything.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from tracker.errors import TrackerError
from tracker.timeutil import format_duration

NAME = "codex-usage-tracker"  # kept from the first release: `schedule remove` finds units installed then
MARKER = f"# installed by {NAME}"
LAUNCHD_LABEL = "com.codex-usage-tracker.collect"


# What a scheduled run depends on besides its arguments: it runs without your shell's environment,
# so these are pinned, at install time, in a 0600 file the schedule reads (they may hold secrets).
PINNED_ENV = ("CODEX_HOME", "TRACKER_HOME", "TRACKER_DB", "TRACKER_ACCOUNT_DIR", "TRACKER_USAGE_URL")
PATH_ENV = ("CODEX_HOME", "TRACKER_HOME", "TRACKER_ACCOUNT_DIR")
SECRET_ENV = ("TRACKER_DB", "TRACKER_NOTIFY_WEBHOOK")


@dataclass
class SchedulePlan:
    scheduler: str
    command: list[str]
    every: timedelta
    files: dict[Path, str] = field(default_factory=dict)
    crontab_line: str | None = None
    activate: list[list[str]] = field(default_factory=list)  # commands run after writing
    environment: dict[str, str] = field(default_factory=dict)  # written to env_path, mode 0600
    env_path: Path | None = None
    private: set[Path] = field(default_factory=set)  # files written 0600 (they hold the environment)

    def describe(self) -> str:
        """What would be installed, with every secret masked (printing it must not leak it)."""
        lines = [f"scheduler: {self.scheduler}", f"every: {int(self.every.total_seconds())}s",
                 f"command: {shlex.join(self.command)}"]
        if self.env_path is not None:
            lines += [f"--- {self.env_path} (mode 0600)", env_file_text(self.environment).rstrip()]
        for path, text in self.files.items():
            lines += [f"--- {path}" + (" (mode 0600)" if path in self.private else ""), text.rstrip()]
        if self.crontab_line:
            lines += ["--- crontab line", self.crontab_line]
        lines += [f"then: {shlex.join(c)}" for c in self.activate]
        return mask_secrets("\n".join(lines), self.environment)


def mask_secrets(text: str, environment: dict[str, str]) -> str:
    """``text`` with the pinned secrets masked: a database password, webhook URLs' queries."""
    from tracker.config import display_url
    from tracker.notify.channels import mask_url

    for key in SECRET_ENV:
        for value in environment.get(key, "").split() if key == "TRACKER_NOTIFY_WEBHOOK" else [environment.get(key)]:
            if value:
                text = text.replace(value, display_url(value) if key == "TRACKER_DB" else mask_url(value))
    return text


def pinned_environment(environ: dict[str, str]) -> dict[str, str]:
    """The settings a scheduled ``collect`` depends on, as they are now (paths made absolute)."""
    env = {k: v for k, v in environ.items() if (k in PINNED_ENV or k.startswith("TRACKER_NOTIFY_")) and v}
    for key in PATH_ENV:
        if key in env:  # TRACKER_ACCOUNT_DIR lists directories (click splits it on spaces); the others are one path
            paths = env[key].split() if key == "TRACKER_ACCOUNT_DIR" else [env[key]]
            env[key] = " ".join(str(Path(p).expanduser().absolute()) for p in paths)
    if "TRACKER_DB" in env and "://" not in env["TRACKER_DB"]:
        env["TRACKER_DB"] = str(Path(env["TRACKER_DB"]).expanduser().absolute())
    return env


def env_file_text(environment: dict[str, str]) -> str:
    """``KEY='value'`` lines: read by systemd's EnvironmentFile= and by ``sh`` (``set -a; . file``)."""
    for key, value in environment.items():
        if any(c in value for c in "'\\\n\r\0"):  # systemd and sh would read these differently
            raise TrackerError(f"refusing to pin {key}: its value holds a quote, a backslash, a newline or NUL",
                               exit_code=2)
    return "".join(f"{key}='{value}'\n" for key, value in sorted(environment.items()))


def env_file_path() -> Path:
    from tracker.config import data_dir

    return data_dir() / "schedule.env"


def _systemd_escape(text: str) -> str:
    """systemd expands %-specifiers in unit files: a literal % is written %%."""
    return text.replace("%", "%%")


def platform_scheduler() -> str:
    """The scheduler this kind of system uses when none can be detected (for ``--print``)."""
    return "launchd" if sys.platform == "darwin" else "cron"


def detect_scheduler() -> str:
    """The scheduler that runs here: launchd on macOS, systemd where it runs, else a crontab."""
    if sys.platform == "darwin" and shutil.which("launchctl"):
        return "launchd"
    if shutil.which("systemctl") and Path("/run/systemd/system").is_dir():
        return "systemd"
    if shutil.which("crontab"):
        return "cron"
    raise TrackerError("no scheduler found here (no systemd user session, launchd or `crontab`): name one with "
                       "--scheduler systemd|cron|launchd, install cron, or keep `tracker collect --every 5m` "
                       "running in a terminal or container", exit_code=2)


PATH_OPTIONS = ("--db", "--account-dir", "--auth", "--codex-home")


def _absolute(option: str, value: str) -> str:
    """A path option's value made absolute: the scheduler runs in another directory."""
    if option == "--db" and "://" in value:
        return value
    name, sep, raw = value.partition("=") if option in ("--auth", "--codex-home") else ("", "", value)
    if not sep or "/" in name or os.sep in name:
        name, sep, raw = "", "", value
    return f"{name}{sep}{Path(raw).expanduser().absolute()}"


def pin_paths(args: list[str]) -> list[str]:
    """``collect`` arguments with every path absolute (``--db demo.db`` -> ``--db /home/me/demo.db``).

    A newline (or NUL) would end the crontab line and start another one that ``schedule remove``
    never finds: refused, like anything else that is written to a scheduler.
    """
    for arg in args:
        if any(c in arg for c in "\n\r\0"):
            raise TrackerError("refusing to schedule an argument with a newline or NUL in it: it would write a "
                               "second line into the schedule", exit_code=2)
    pinned, pending = [], None
    for arg in args:
        option, eq, value = arg.partition("=")
        if pending:
            pinned.append(_absolute(pending, arg))
            pending = None
        elif option in PATH_OPTIONS and eq:
            pinned.append(f"{option}={_absolute(option, value)}")
        else:
            pending = arg if arg in PATH_OPTIONS else None
            pinned.append(arg)
    return pinned


def systemd_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def launchd_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"


def collect_command(collect_args: list[str]) -> list[str]:
    """An absolute command that works from cron's empty environment."""
    return [sys.executable, "-m", "tracker", "collect", "--quiet", *collect_args]


def _cron_spec(every: timedelta) -> str:
    minutes = every.total_seconds() / 60
    if minutes.is_integer() and 1 <= minutes < 60 and 60 % minutes == 0:
        return f"*/{int(minutes)} * * * *" if minutes > 1 else "* * * * *"
    hours = minutes / 60
    if hours.is_integer() and 1 <= hours <= 24 and 24 % hours == 0:
        return f"0 */{int(hours)} * * *" if hours > 1 else "0 * * * *"
    raise TrackerError("cron can run every 1-30 minutes (a divisor of 60) or every 1-24 hours (a divisor of 24); "
                       f"{format_duration(every)} is neither", exit_code=2)


def build_plan(scheduler: str, every: timedelta, collect_args: list[str],
               environment: dict[str, str] | None = None) -> SchedulePlan:
    if every < timedelta(minutes=1):
        raise TrackerError("schedule at most once a minute (--every 1m or more)", exit_code=2)
    command = collect_command(pin_paths(collect_args))
    plan = SchedulePlan(scheduler, command, every, environment=dict(environment or {}))
    if plan.environment:
        plan.env_path = env_file_path()
        env_file_text(plan.environment)  # refuses what cannot be written
    seconds = int(every.total_seconds())
    if scheduler == "systemd":
        if any("\\" in part for part in command):
            raise TrackerError("refusing to schedule an argument with a backslash under systemd (it would be "
                               "read as an escape): use --scheduler cron, or another path", exit_code=2)
        minutes = seconds / 60
        timing = (f"OnCalendar=*:0/{int(minutes)}" if minutes.is_integer() and minutes < 60 and 60 % minutes == 0
                  else f"OnBootSec=1min\nOnUnitActiveSec={seconds}s")
        directory = systemd_dir()
        environment_line = (f"EnvironmentFile={_systemd_escape(shlex.quote(str(plan.env_path)))}\n"
                            if plan.env_path else "")
        plan.files[directory / f"{NAME}.service"] = (
            f"{MARKER}\n[Unit]\nDescription=Collect ChatGPT Codex usage ({NAME})\n\n"
            f"[Service]\nType=oneshot\n{environment_line}ExecStart={_systemd_escape(shlex.join(command))}\n")
        plan.files[directory / f"{NAME}.timer"] = (
            f"{MARKER}\n[Unit]\nDescription=Collect ChatGPT Codex usage every {seconds}s\n\n"
            f"[Timer]\n{timing}\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n")
        plan.activate = [["systemctl", "--user", "daemon-reload"],
                         ["systemctl", "--user", "enable", "--now", f"{NAME}.timer"]]
    elif scheduler == "launchd":
        import plistlib

        agent = {"Label": LAUNCHD_LABEL, "ProgramArguments": command, "StartInterval": seconds, "RunAtLoad": True}
        if plan.environment:
            agent["EnvironmentVariables"] = plan.environment
        text = plistlib.dumps(agent).decode()  # XML-escaped: a path with & or < stays a path
        head, _, rest = text.partition("<plist")
        plan.files[launchd_path()] = f"{head}<!-- {MARKER[2:]} -->\n<plist{rest}"
        plan.private.add(launchd_path())  # it holds the environment
        plan.env_path = None  # launchd reads the environment from the plist itself
        plan.activate = [["launchctl", "load", "-w", str(launchd_path())]]
    elif scheduler == "cron":
        line = shlex.join(command)
        if plan.env_path:
            line = f"set -a && . {shlex.quote(str(plan.env_path))} && set +a && exec {line}"
        # In a crontab, % ends the command; escape it.
        plan.crontab_line = f"{_cron_spec(every)} {line.replace('%', chr(92) + '%')} {MARKER}"
    else:
        raise TrackerError(f"unknown scheduler {scheduler!r}", exit_code=2)
    return plan


def _run(command: list[str], stdin: str | None = None) -> str:
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise TrackerError(f"`{command[0]}` is not installed; try --scheduler with another value") from None
    if result.returncode != 0 and not (command[:2] == ["crontab", "-l"] and "no crontab" in result.stderr):
        raise TrackerError(f"`{shlex.join(command)}` failed: {result.stderr.strip() or result.returncode}")
    return result.stdout


def _crontab_lines() -> list[str]:
    return [line for line in _run(["crontab", "-l"]).splitlines() if line.strip()]


def install(plan: SchedulePlan) -> list[str]:
    """Write and activate the plan (replacing an earlier install); returns what was done."""
    done = []
    remove(plan.scheduler)
    if plan.env_path is not None:
        _write_private(plan.env_path, env_file_text(plan.environment))
        done.append(f"wrote {plan.env_path} (mode 0600: the settings the schedule runs with)")
    for path, text in plan.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path in plan.private:
            _write_private(path, text)
        else:
            path.write_text(text)
        done.append(f"wrote {path}")
    if plan.crontab_line:
        _run(["crontab", "-"], "\n".join([*_crontab_lines(), plan.crontab_line]) + "\n")
        done.append("added a line to your crontab")
    for command in plan.activate:
        _run(command)
        done.append(f"ran {shlex.join(command)}")
    return done


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, from its first byte (never 0644, then 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def installed(scheduler: str) -> list[str]:
    """Descriptions of what ``install`` left in place for this scheduler (empty when nothing)."""
    if scheduler == "cron":
        return [line for line in _crontab_lines() if line.endswith(MARKER)]
    paths = ([systemd_dir() / f"{NAME}.service", systemd_dir() / f"{NAME}.timer"] if scheduler == "systemd"
             else [launchd_path()])
    return [str(p) for p in paths if p.exists() and MARKER[2:] in p.read_text()]


def remove(scheduler: str) -> list[str]:
    """Take away exactly what ``install`` put in place; returns what was done."""
    done = []
    if scheduler == "cron":
        lines = _crontab_lines()
        kept = [line for line in lines if not line.endswith(MARKER)]
        if len(kept) != len(lines):
            _run(["crontab", "-"], "\n".join(kept) + "\n" if kept else "")
            done.append(f"removed {len(lines) - len(kept)} line(s) from your crontab")
        return done
    paths = [Path(p) for p in installed(scheduler)]
    if not paths:
        return done
    if scheduler == "systemd":
        _run(["systemctl", "--user", "disable", "--now", f"{NAME}.timer"])
    else:
        _run(["launchctl", "unload", "-w", str(launchd_path())])
    for path in paths:
        path.unlink()
        done.append(f"removed {path}")
    if scheduler == "systemd":
        _run(["systemctl", "--user", "daemon-reload"])
    return done
