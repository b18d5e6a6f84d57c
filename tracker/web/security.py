"""The serve command's safety rules, as pure functions: who may bind where, who may read.

The dashboard shows how much of every account is left and when; that is worth protecting on a
shared network. So it listens on loopback unless told otherwise, and anything else needs both
``--allow-remote`` and a token. The token is checked on every request (page, assets and API
alike) in constant time; it is never echoed, logged or put in a URL.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress

from tracker.errors import TrackerError

MIN_TOKEN_LENGTH = 16
LOOPBACK_NAMES = ("localhost",)
# The Host header a browser sends to a loopback server; anything else on a loopback bind is a
# DNS-rebinding page trying to read the dashboard.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class ServeRefused(TrackerError):
    """A bind the safety rules forbid (exit 2, like a wrong option)."""

    exit_code = 2


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def check_bind(host: str, allow_remote: bool, token: str | None) -> None:
    """Refuse a non-loopback bind without --allow-remote and a token; refuse a weak token."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise ServeRefused(f"the token must be at least {MIN_TOKEN_LENGTH} characters "
                           "(e.g. python -c 'import secrets; print(secrets.token_urlsafe())')")
    if is_loopback(host):
        return
    if not allow_remote:
        raise ServeRefused(f"refusing to listen on {host}, which is not loopback: the dashboard would be "
                           "readable from the network; pass --allow-remote with --token (or TRACKER_SERVE_TOKEN)")
    if not token:
        raise ServeRefused(f"--allow-remote on {host} needs a token: --token or TRACKER_SERVE_TOKEN")


def presented_token(authorization: str | None) -> str | None:
    """The secret of an ``Authorization`` header: ``Bearer T``, or Basic auth with T as the password.

    Basic lets a plain browser in (it asks once and resends it with every asset); Bearer suits
    scripts. The user name of Basic is ignored.
    """
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer":
        return value
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def token_matches(authorization: str | None, token: str) -> bool:
    presented = presented_token(authorization)
    return presented is not None and hmac.compare_digest(presented.encode(), token.encode())


def host_allowed(host_header: str | None, allowed: tuple[str, ...] | None) -> bool:
    """Whether a request's Host (port removed) is one the server answers to; None: any."""
    if allowed is None:
        return True
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host in allowed


def cross_site(headers) -> bool:
    """Whether a request comes from another site's page: the browser says so (``Sec-Fetch-Site``
    cross-site or same-site), or it names an ``Origin`` that is not this server's own Host. Scripts
    (curl, Prometheus) send neither and are answered; any page elsewhere cannot make the server
    spend its time (the token, when set, still applies)."""
    if (headers.get("sec-fetch-site") or "").lower() in ("cross-site", "same-site"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    from urllib.parse import urlsplit

    try:
        return urlsplit(origin).netloc.lower() != (headers.get("host") or "").lower() or origin == "null"
    except ValueError:
        return True
