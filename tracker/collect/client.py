"""One HTTP GET of the usage endpoint per account, with retries, limits and redaction.

Nothing that leaves this module holds a token: bodies, headers and messages pass through
``redact`` first.
"""

from __future__ import annotations

import email.utils
import json
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tracker.collect.accounts import Account
from tracker.collect.neterrors import network_reason
from tracker.collect.redact import REDACTED, redact, scrub
from tracker.render import printable

MAX_BODY_BYTES = 4 << 20
MAX_RETRY_WAIT = 60.0
USER_AGENT = "Mozilla/5.0 (compatible; codex-quota-history)"
_SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "proxy-authorization"}


@dataclass
class FetchResult:
    status: str  # ok | expired | forbidden | blocked | rate_limited | http_error | network_error | unparsed
    received_at: datetime
    http_status: int | None = None
    payload: Any = None
    body: bytes | None = None  # redacted
    headers: dict[str, str] = field(default_factory=dict)  # redacted
    error: str | None = None
    server_date: datetime | None = None


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
        seconds = float(value)
    except ValueError:
        pass
    else:  # "inf", "nan" or 1e308 say nothing a person can wait for: ignore them
        return max(0.0, seconds) if math.isfinite(seconds) and seconds < 86400 * 7 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


MAX_CLOCK_SKEW = 86400.0  # seconds: a server Date further from our clock is not believed


def _server_date(value: str | None, received_at: datetime) -> datetime | None:
    """The answer's ``Date``, the reference of relative reset times; None when missing or more
    than a day from our clock (a Date in 1970, 2050 or 9999 put every reset there, or overflowed:
    the reading lost as ``unparsed``)."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
        parsed = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        skew = abs((parsed - received_at).total_seconds())
    except (TypeError, ValueError, OverflowError):
        return None
    return parsed if skew <= MAX_CLOCK_SKEW else None


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
    text = printable(" ".join(text.split()))
    return text[:200] + ("…" if len(text) > 200 else "")


def _is_html(body: bytes, content_type: str | None) -> bool:
    """An HTML page (a bot-protection challenge), not the account's own JSON refusal: the body
    decides; the Content-Type only for a body that is not JSON either (an empty one)."""
    start = body.lstrip()[:1]
    if start in (b"{", b"["):
        return False
    return start == b"<" or "html" in (content_type or "").lower()


def _get_within(session: Any, url: str, headers: dict[str, str], timeout: float) -> Any:
    """``session.get`` (connect and headers) bounded by ``timeout`` in total.

    requests' timeout bounds each socket operation, so a server sending one header line a
    second is never caught by it. The request runs in a daemon thread; past the deadline it is
    abandoned (its response closed as soon as it arrives) and ``_TooSlow`` is raised.
    """
    outcome: dict[str, Any] = {}
    lock = threading.Lock()

    def run() -> None:
        try:
            response = session.get(url, headers=headers, timeout=timeout, stream=True, allow_redirects=False)
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc
            return
        with lock:
            if outcome.get("abandoned"):
                response.close()
            else:
                outcome["response"] = response

    worker = threading.Thread(target=run, name="tracker-request", daemon=True)
    worker.start()
    worker.join(timeout)
    with lock:
        if "response" not in outcome and "error" not in outcome:
            outcome["abandoned"] = True
            raise _BodyTooSlow()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


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
    deadline = time.monotonic() + timeout
    try:
        response = _get_within(session, url, request_headers(account), timeout)
    except (requests.exceptions.Timeout, _BodyTooSlow):
        return FetchResult("network_error", clock(), error=f"no answer within {timeout:g}s"), backoff
    except requests.exceptions.InvalidHeader as exc:
        if exc.args and isinstance(exc.args[0], Exception):  # urllib3's, about the answer (two Content-Lengths)
            return FetchResult("http_error", clock(), error="the server's answer has a malformed header: "
                               f"{_describe_body(str(exc.args[0]).encode(), secrets)}"), None
        # ours, refused before sending: never quote it, the value may hold the token
        return FetchResult("auth_error", clock(), error="a request header was refused (check the auth file)"), None
    except requests.exceptions.RequestException as exc:
        return FetchResult("network_error", clock(), error=network_reason(exc, url, secrets)), backoff
    with response:
        received_at = clock()
        headers = {
            k: (REDACTED if k.lower() in _SECRET_HEADERS else scrub(v, secrets))
            for k, v in response.headers.items()
        }
        result = FetchResult("ok", received_at, http_status=response.status_code, headers=headers)
        result.server_date = _server_date(response.headers.get("Date"), received_at)
        try:
            body = _read_body(response, max(0.001, deadline - time.monotonic()))
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
        except (ValueError, RecursionError):  # RecursionError: JSON nested 200,000 deep (was "internal error")
            kind = "HTML" if body.lstrip()[:1] == b"<" else "a body that is not JSON it can read"
            result.status = "unparsed"
            result.error = f"the server answered 200 with {kind} (a login page or a proxy in the way?)"
        return result, None
    described = _describe_body(body, secrets)
    if code == 401:
        result.status, result.error = "expired", "HTTP 401: token expired or invalid: run `codex login`"
        return result, None
    if code == 403 and _is_html(body, response.headers.get("Content-Type")):
        result.status = "blocked"
        result.error = ("HTTP 403 with an HTML page: the request was blocked before reaching the account "
                        "(bot protection on this network?); not an account problem, retried later")
        return result, backoff
    if code == 403:
        result.status, result.error = "forbidden", f"HTTP 403: account suspended or without Codex access: {described}"
        return result, None
    if code == 429:
        wait = _retry_after(response.headers.get("Retry-After"), received_at)
        result.status, result.error = "rate_limited", "HTTP 429: rate-limited by the server, try again later"
        return result, (backoff if wait is None else wait)
    if 300 <= code < 400:
        location = response.headers.get("Location", "")
        try:  # a host, or a path on this one ("/login"), cut: the Location is the server's text
            where = urlsplit(location).hostname or (urlsplit(location).path[:80] if location.startswith("/") else "")
        except ValueError:
            where = ""
        where = printable(where or "elsewhere")
        result.status = "http_error"
        result.error = f"HTTP {code}: redirected to {where} (not followed, the token stays here)"
        return result, None
    result.status, result.error = "http_error", f"HTTP {code}: {described or '(empty body)'}"
    return result, (backoff if code >= 500 else None)
