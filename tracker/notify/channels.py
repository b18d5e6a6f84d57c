"""Where notifications go: the desktop, webhooks, a command. Each returns None when delivered or
the one line that says why not (the notice is then not marked as sent, and is retried next run).

Every delivery is given the time left of the run's deadline (``timeout``) and never waits longer
for a process; a webhook's answer is read to at most ``MAX_ANSWER_BYTES``, whatever it sends."""

from __future__ import annotations

import hashlib
import html
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
MAX_ANSWER_BYTES = 64 * 1024  # a webhook's answer is only its status; the body is read this far, then dropped


@dataclass(frozen=True)
class Channel:
    """``key`` is what the database remembers: a digest, never a webhook URL (those hold secrets)."""

    key: str
    label: str
    deliver: Callable[[Notice, float], str | None]  # (notice, seconds left) -> problem or None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def desktop_channel(platform: str = sys.platform) -> Channel:
    def deliver(notice: Notice, timeout: float) -> str | None:
        if platform == "darwin":
            program = shutil.which("osascript")
            if program is None:
                return "desktop notifications need osascript, which is not on PATH"
            # An AppleScript string: quotes and backslashes escaped, nothing else special.
            text = notice.message.replace("\\", "\\\\").replace('"', '\\"')
            script = f'display notification "{text}" with title "Codex usage"'
            command = [program, "-e", script]
        else:
            program = shutil.which("notify-send")
            if program is None:
                return "desktop notifications need notify-send (Debian/Ubuntu: apt install libnotify-bin)"
            urgency = "critical" if notice.key.rule in ("below", "before_reset") else "normal"
            # notify-send bodies are markup: an account named "<b>x</b>" or "a & b" is shown as text.
            command = [program, "--app-name=codex-usage-tracker", f"--urgency={urgency}", "Codex usage",
                       html.escape(notice.message, quote=False)]
        return _run(command, None, "desktop notification", timeout)

    return Channel("desktop", "desktop", deliver)


def webhook_channel(url: str, post: Callable | None = None, sleep: Callable[[float], None] = time.sleep) -> Channel:
    from urllib.parse import urlsplit

    from tracker.collect.urls import check_url

    try:
        check_url(url, what="the webhook URL", carrying="notifications")
    except UnsafeURLError as exc:
        reason = exc.message.split(":", 1)[0]  # the rule that refused it, never the URL (its query is a secret)
        raise UnsafeURLError(f"webhook: {reason} ({mask_url(url)}; https, or plain http to this machine)") from None
    host = urlsplit(url).hostname or "?"

    def deliver(notice: Notice, timeout: float) -> str | None:
        import requests

        send = post or requests.post
        problem = ""
        started = time.monotonic()
        for attempt in range(2):  # one retry, while the deadline allows
            left = timeout - (time.monotonic() - started)
            if attempt:
                if left <= 1.5:
                    break
                sleep(1.0)
                left -= 1.0
            wait = max(0.1, min(WEBHOOK_TIMEOUT, left))
            try:
                response = send(url, json=notice.payload(), timeout=wait, allow_redirects=False, stream=True)
                try:
                    read = 0
                    for chunk in response.iter_content(8192):  # bounded: its status is all that matters
                        read += len(chunk)
                        if read >= MAX_ANSWER_BYTES:
                            break
                finally:
                    response.close()
            except requests.RequestException as exc:
                problem = f"webhook to {host} failed: {type(exc).__name__}"
                continue
            if 200 <= response.status_code < 300:
                return None
            problem = f"webhook to {host} answered HTTP {response.status_code}"
        return problem or f"webhook to {host}: no time left before the deadline"

    return Channel(f"webhook:{_digest(url)}", f"webhook {host}", deliver)


def exec_channel(command: str) -> Channel:
    def deliver(notice: Notice, timeout: float) -> str | None:
        env = {**os.environ, **{f"TRACKER_{name.upper()}": "" if value is None else str(value)
                                for name, value in notice.payload().items() if name != "text"}}
        return _run(["/bin/sh", "-c", command] if os.name == "posix" else command, env, "--exec command", timeout)

    return Channel(f"exec:{_digest(command)}", "exec", deliver)


def _run(command: list[str] | str, env: dict | None, what: str, timeout: float) -> str | None:
    """Run and wait at most ``timeout`` seconds; past it the process group is killed (a shell's
    children too), so nothing outlives the run."""
    try:
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=os.name == "posix")
    except OSError as exc:
        return f"{what} could not start: {exc.strerror}"
    try:
        code = process.wait(timeout=max(0.05, timeout))
    except subprocess.TimeoutExpired:
        _kill(process)
        return f"{what} did not finish within the run's deadline ({timeout:.1f}s left)"
    return None if code == 0 else f"{what} failed (exit {code})"


def _kill(process: subprocess.Popen) -> None:
    import contextlib
    import signal

    with contextlib.suppress(OSError):
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    with contextlib.suppress(Exception):
        process.wait(timeout=5)


def mask_url(url: str) -> str:
    """A webhook URL as it may be shown: its scheme and host only. The rest may be the secret:
    a Slack or Discord webhook's path is its token, an ntfy topic is its password, ``?token=``
    its query (``config show``, ``schedule`` and the refusals all print this)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
    except ValueError:
        return "<a URL that does not parse>"
    rest = "/…" if parts.path.strip("/") or parts.query or parts.fragment else ""
    return f"{parts.scheme}://{host}{rest}"
