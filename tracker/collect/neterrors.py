"""A failed connection in plain words: what failed (resolving, refusing, TLS, reset) and what to check.

Never a library's raw text cut mid-word, never a crash on an exception chain of an unexpected shape.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from tracker.collect.redact import redact
from tracker.render import printable


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (requests -> urllib3 -> socket), each once."""
    seen: set[int] = set()
    cause: Any = exc
    while isinstance(cause, BaseException) and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        nested = cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None
        reason = getattr(cause, "reason", None)  # urllib3's wrapped error; ssl's is a string
        cause = cause.__cause__ or (reason if isinstance(reason, BaseException) else None) or nested \
            or cause.__context__


def network_reason(exc: BaseException, url: str, secrets: tuple[str, ...]) -> str:
    """What went wrong with the connection, in plain words and one line."""
    import socket
    import ssl

    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError) or (
                isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED):
            return f"connection refused by {host}:{port}"
        if isinstance(cause, socket.gaierror) or type(cause).__name__ == "NameResolutionError":
            return f"could not resolve {host}: check the network or --url"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (f"the TLS certificate of {host} is not trusted ({cause.verify_message or 'unverified'}): "
                    "check the network (a proxy in the way?) or --url")
        if isinstance(cause, ssl.SSLError):
            return (f"TLS failed with {host}:{port} ({cause.reason or 'handshake'}): "
                    "check --url (https to a plain-http server?)")
        if isinstance(cause, ConnectionResetError):
            return f"connection reset by {host}:{port}: check the network"
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return f"{host} is unreachable: check the network or --url"
    reason = redact(str(exc.args[0] if exc.args else exc), secrets)
    reason = printable(" ".join(re.sub(r"<urllib3\.[^>]*>", "", reason).split()))
    return f"connection failed: {reason[:200]}" + ("…" if len(reason) > 200 else "")
