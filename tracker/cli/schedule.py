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


@dataclass
class SchedulePlan:
    scheduler: str
    command: list[str]
    every: timedelta
    files: dict[Path, str] = field(default_factory=dict)
    crontab_line: str | None = None
    activate: list[list[str]] = field(default_factory=list)  # commands run after writing

    def describe(self) -> str:
        lines = [f"scheduler: {self.scheduler}", f"every: {int(self.every.total_seconds())}s",
                 f"command: {shlex.join(self.command)}"]
        for path, text in self.files.items():
            lines += [f"--- {path}", text.rstrip()]
        if self.crontab_line:
            lines += ["--- crontab line", self.crontab_line]
        lines += [f"then: {shlex.join(c)}" for c in self.activate]
        return "\n".join(lines)


def detect_scheduler() -> str:
    """The scheduler that runs here: launchd on macOS, systemd where it runs, else a crontab."""
    if sys.platform == "darwin" and shutil.which("launchctl"):
        return "launchd"
    if shutil.which("systemctl") and Path("/run/systemd/system").is_dir():
        return "systemd"
    if shutil.which("crontab"):
        return "cron"
    raise TrackerError("no scheduler found here (no systemd user session, launchd or `crontab`): install cron, "
                       "or keep `tracker collect --every 5m` running in a terminal or container")


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


def build_plan(scheduler: str, every: timedelta, collect_args: list[str]) -> SchedulePlan:
    if every < timedelta(minutes=1):
        raise TrackerError("schedule at most once a minute (--every 1m or more)", exit_code=2)
    command = collect_command(pin_paths(collect_args))
    plan = SchedulePlan(scheduler, command, every)
    seconds = int(every.total_seconds())
    if scheduler == "systemd":
        minutes = seconds / 60
        timing = (f"OnCalendar=*:0/{int(minutes)}" if minutes.is_integer() and minutes < 60 and 60 % minutes == 0
                  else f"OnBootSec=1min\nOnUnitActiveSec={seconds}s")
        directory = systemd_dir()
        plan.files[directory / f"{NAME}.service"] = (
            f"{MARKER}\n[Unit]\nDescription=Collect ChatGPT Codex usage ({NAME})\n\n"
            f"[Service]\nType=oneshot\nExecStart={shlex.join(command)}\n")
        plan.files[directory / f"{NAME}.timer"] = (
            f"{MARKER}\n[Unit]\nDescription=Collect ChatGPT Codex usage every {seconds}s\n\n"
            f"[Timer]\n{timing}\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n")
        plan.activate = [["systemctl", "--user", "daemon-reload"],
                         ["systemctl", "--user", "enable", "--now", f"{NAME}.timer"]]
    elif scheduler == "launchd":
        args = "".join(f"    <string>{a}</string>\n" for a in command)
        plan.files[launchd_path()] = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
            f"<!-- {MARKER[2:]} -->\n<plist version=\"1.0\">\n<dict>\n"
            f"  <key>Label</key><string>{LAUNCHD_LABEL}</string>\n"
            f"  <key>ProgramArguments</key>\n  <array>\n{args}  </array>\n"
            f"  <key>StartInterval</key><integer>{seconds}</integer>\n"
            "  <key>RunAtLoad</key><true/>\n</dict>\n</plist>\n")
        plan.activate = [["launchctl", "load", "-w", str(launchd_path())]]
    elif scheduler == "cron":
        # In a crontab, % ends the command; escape it.
        plan.crontab_line = f"{_cron_spec(every)} {shlex.join(command).replace('%', chr(92) + '%')} {MARKER}"
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
    for path, text in plan.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        done.append(f"wrote {path}")
    if plan.crontab_line:
        _run(["crontab", "-"], "\n".join([*_crontab_lines(), plan.crontab_line]) + "\n")
        done.append("added a line to your crontab")
    for command in plan.activate:
        _run(command)
        done.append(f"ran {shlex.join(command)}")
    return done


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
