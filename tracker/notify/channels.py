"""Where notifications go: the desktop, webhooks, a command. Each returns None when delivered or
the one line that says why not (the notice is then not marked as sent, and is retried next run)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from tracker.errors import UnsafeURLError
from tracker.notify.rules import Notice

WEBHOOK_TIMEOUT = 10.0
EXEC_TIMEOUT = 30.0


@dataclass(frozen=True)
class Channel:
    """``key`` is what the database remembers: a digest, never a webhook URL (those hold secrets)."""

    key: str
    label: str
    deliver: Callable[[Notice], str | None]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def desktop_channel(platform: str = sys.platform) -> Channel:
    def deliver(notice: Notice) -> str | None:
        if platform == "darwin":
            program = shutil.which("osascript")
            if program is None:
                return "desktop notifications need osascript, which is not on PATH"
            script = f"display notification {json.dumps(notice.message)} with title \"Codex usage\""
            command = [program, "-e", script]
        else:
            program = shutil.which("notify-send")
            if program is None:
                return "desktop notifications need notify-send (Debian/Ubuntu: apt install libnotify-bin)"
            urgency = "critical" if notice.key.rule in ("below", "before_reset") else "normal"
            command = [program, "--app-name=codex-usage-tracker", f"--urgency={urgency}", "Codex usage",
                       notice.message]
        return _run(command, None, "desktop notification")

    return Channel("desktop", "desktop", deliver)


def webhook_channel(url: str, post: Callable | None = None, sleep: Callable[[float], None] = time.sleep) -> Channel:
    from urllib.parse import urlsplit

    from tracker.collect.client import check_url

    try:
        check_url(url, what="the webhook URL", carrying="notifications")
    except UnsafeURLError as exc:
        raise UnsafeURLError(f"webhook: {exc.message}") from None
    host = urlsplit(url).hostname or "?"

    def deliver(notice: Notice) -> str | None:
        import requests

        send = post or requests.post
        problem = ""
        for attempt in range(2):  # one retry
            if attempt:
                sleep(1.0)
            try:
                response = send(url, json=notice.payload(), timeout=WEBHOOK_TIMEOUT, allow_redirects=False)
            except requests.RequestException as exc:
                problem = f"webhook to {host} failed: {type(exc).__name__}"
                continue
            if 200 <= response.status_code < 300:
                return None
            problem = f"webhook to {host} answered HTTP {response.status_code}"
        return problem

    return Channel(f"webhook:{_digest(url)}", f"webhook {host}", deliver)


def exec_channel(command: str) -> Channel:
    def deliver(notice: Notice) -> str | None:
        env = {**os.environ, **{f"TRACKER_{name.upper()}": "" if value is None else str(value)
                                for name, value in notice.payload().items() if name != "text"}}
        return _run(["/bin/sh", "-c", command] if os.name == "posix" else command, env, "--exec command")

    return Channel(f"exec:{_digest(command)}", "exec", deliver)


def _run(command: list[str] | str, env: dict | None, what: str) -> str | None:
    try:
        done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=EXEC_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return f"{what} did not finish within {EXEC_TIMEOUT:g}s"
    except OSError as exc:
        return f"{what} could not start: {exc.strerror}"
    return None if done.returncode == 0 else f"{what} failed (exit {done.returncode})"
