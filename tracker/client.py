"""One HTTP GET of the usage endpoint per account, with retries, limits and redaction.

Nothing that leaves this module holds a token: bodies, headers and messages pass through
``redact`` first.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tracker.accounts import Account
from tracker.errors import UnsafeURLError

MAX_BODY_BYTES = 4 << 20
MAX_RETRY_WAIT = 60.0
USER_AGENT = "Mozilla/5.0 (compatible; codex-usage-tracker)"
_SECRET_PATTERNS = [
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"),
    re.compile(r"\bsess-[A-Za-z0-9_-]{8,}"),
]
_SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "proxy-authorization"}
REDACTED = "[REDACTED]"


@dataclass
class FetchResult:
    status: str  # ok | expired | forbidden | rate_limited | http_error | network_error | unparsed
    received_at: datetime
    http_status: int | None = None
    payload: Any = None
    body: bytes | None = None  # redacted
    headers: dict[str, str] = field(default_factory=dict)  # redacted
    error: str | None = None
    server_date: datetime | None = None


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
    return text


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """Refuse to send a bearer token in clear text anywhere but this machine."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return url
    if parts.scheme == "http":
        raise UnsafeURLError(
            f"refusing to send a token over plain http to {parts.hostname}: use https "
            "(plain http is allowed only to 127.0.0.1/localhost)"
        )
    raise UnsafeURLError(f"not a usable URL: {url!r} (expected https://…)")


def usage_url(url: str) -> str:
    """Accept the full usage URL or a base URL, as other Codex clients do."""
    url = check_url(url.rstrip("/"))
    path = urlsplit(url).path
    if path.endswith("/usage"):
        return url
    if "/backend-api" in path:
        return url + "/wham/usage"
    return url + "/api/codex/usage"


def request_headers(account: Account) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {account.access_token}",
        "Accept": "application/json",
        "Origin": "https://chatgpt.com",
        "Referer": "https://chatgpt.com/",
        "User-Agent": USER_AGENT,
    }
    if account.account_id:
        headers["ChatGPT-Account-Id"] = account.account_id
    return headers


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def _server_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _read_body(response: Any, timeout: float) -> bytes:
    """Read at most MAX_BODY_BYTES within ``timeout`` seconds in total.

    requests' timeout bounds each socket read, not the whole body: a server dripping a byte at
    a time could hold us forever. A watchdog closes the response when the deadline passes.
    """
    expired = threading.Event()

    def give_up() -> None:
        expired.set()
        response.close()

    watchdog = threading.Timer(timeout, give_up)
    watchdog.daemon = True
    watchdog.start()
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(8192):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _BodyTooLarge()
            chunks.append(chunk)
    except _BodyTooLarge:
        raise
    except Exception:
        if expired.is_set():
            raise _BodyTooSlow() from None
        raise
    finally:
        watchdog.cancel()
    if expired.is_set():
        raise _BodyTooSlow()
    return b"".join(chunks)


class _BodyTooLarge(Exception):
    pass


class _BodyTooSlow(Exception):
    pass


def _describe_body(body: bytes, secrets: tuple[str, ...]) -> str:
    text = redact(body.decode("utf-8", "replace"), secrets)
    text = " ".join(text.split())
    return text[:200] + ("…" if len(text) > 200 else "")


def fetch_usage(
    account: Account,
    url: str,
    *,
    timeout: float = 30.0,
    retries: int = 2,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    max_retry_wait: float = MAX_RETRY_WAIT,
) -> FetchResult:
    """GET the usage endpoint; retry 429/5xx/network errors with backoff, never 401/403."""
    import requests

    attempt = 0
    with requests.Session() as session:
        session.trust_env = False  # no .netrc auth or proxy surprises for a bearer request
        while True:
            result, wait = _attempt(session, account, url, timeout, clock, attempt)
            if wait is None or attempt >= retries or wait > max_retry_wait:
                if wait is not None and wait > max_retry_wait and result.status == "rate_limited":
                    result.error = f"{result.error} (server asks to retry after {wait:.0f}s)"
                return result
            attempt += 1
            sleep(wait)


def _attempt(session: Any, account: Account, url: str, timeout: float, clock, attempt: int):
    """One request; returns the result and how long to wait before retrying (None: don't)."""
    import requests

    secrets = account.secrets
    backoff = min(30.0, 0.5 * 2**attempt) * (1 + random.random() * 0.25)
    try:
        response = session.get(
            url, headers=request_headers(account), timeout=timeout, stream=True, allow_redirects=False
        )
    except requests.exceptions.Timeout:
        return FetchResult("network_error", clock(), error=f"no answer within {timeout:g}s"), backoff
    except requests.exceptions.RequestException as exc:
        reason = redact(str(getattr(exc, "args", [exc])[0] if exc.args else exc), secrets)
        reason = re.sub(r"<urllib3\.[^>]*>", "", reason)
        return FetchResult("network_error", clock(), error=f"connection failed: {reason[:200]}"), backoff
    with response:
        received_at = clock()
        headers = {
            k: (REDACTED if k.lower() in _SECRET_HEADERS else redact(v, secrets))
            for k, v in response.headers.items()
        }
        result = FetchResult("ok", received_at, http_status=response.status_code, headers=headers)
        result.server_date = _server_date(response.headers.get("Date"))
        try:
            body = _read_body(response, timeout)
        except _BodyTooLarge:
            result.status, result.error = "http_error", f"response larger than {MAX_BODY_BYTES >> 20} MiB, refused"
            return result, None
        except _BodyTooSlow:
            result.status, result.error = "network_error", f"response not complete within {timeout:g}s"
            return result, backoff
        except requests.exceptions.RequestException as exc:
            result.status, result.error = "network_error", f"connection broke while reading: {type(exc).__name__}"
            return result, backoff
    result.body = redact(body.decode("utf-8", "replace"), secrets).encode("utf-8")
    code = response.status_code
    if code == 200:
        try:
            result.payload = json.loads(body)
        except ValueError:
            kind = "HTML" if body.lstrip()[:1] == b"<" else "a body that is not JSON"
            result.status = "unparsed"
            result.error = f"the server answered 200 with {kind} (a login page or a proxy in the way?)"
        return result, None
    described = _describe_body(body, secrets)
    if code == 401:
        result.status, result.error = "expired", "HTTP 401: token expired or invalid: run `codex login`"
        return result, None
    if code == 403:
        result.status, result.error = "forbidden", f"HTTP 403: account suspended or without Codex access: {described}"
        return result, None
    if code == 429:
        wait = _retry_after(response.headers.get("Retry-After"), received_at)
        result.status, result.error = "rate_limited", "HTTP 429: rate-limited by the server, try again later"
        return result, (backoff if wait is None else wait)
    if 300 <= code < 400:
        where = urlsplit(response.headers.get("Location", "")).hostname or "elsewhere"
        result.status = "http_error"
        result.error = f"HTTP {code}: redirected to {where} (not followed, the token stays here)"
        return result, None
    result.status, result.error = "http_error", f"HTTP {code}: {described or '(empty body)'}"
    return result, (backoff if code >= 500 else None)
