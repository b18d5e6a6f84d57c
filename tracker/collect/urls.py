"""Where a bearer token may be sent: the usage URL (full or base, as other Codex clients
accept it) checked so that a token never leaves this machine in clear text, and parsed the way
the HTTP library will parse it, so that the host checked is the host connected to."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from tracker.errors import UnsafeURLError
from tracker.render import printable


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ambiguity(url: str) -> str | None:
    """Why the host we check might not be the host the HTTP library connects to, if it might."""
    if not url.isascii() or any(c <= " " or c in "\\\x7f" for c in url):
        return "it holds a backslash, a space, a control or a non-ASCII character"
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    try:  # urlsplit itself raises for a bracket left open or a bracketed name (https://[::1, https://[zz]/)
        parts = urlsplit(url)
        if "@" in parts.netloc:
            return "it holds a user name or password (user@host)"
        theirs = parse_url(url)
        port, host = parts.port, parts.hostname
    except (LocationParseError, ValueError):
        return "it cannot be parsed"
    if (theirs.host or "").strip("[]").lower() != (host or "") or theirs.port != port:
        return "its host reads differently to different parsers"
    if port == 0:  # the HTTP library would connect to the scheme's default port instead
        return "it names port 0"
    return None


def check_url(url: str, what: str = "the usage URL", carrying: str = "a token") -> str:
    """Refuse to send a bearer token in clear text anywhere but this machine.

    The URL is also parsed the way urllib3 will parse it; any disagreement (``http://127.0.0.1\\
    @evil/``) is refused, so the host checked is the host connected to.
    """
    reason = _ambiguity(url)
    if reason:
        raise UnsafeURLError(f"refusing {what}: {reason}")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return url
    if parts.scheme == "http" and parts.hostname:
        raise UnsafeURLError(
            f"refusing to send {carrying} over plain http to {printable(parts.hostname)}: use https "
            "(plain http is allowed only to 127.0.0.1/localhost)"
        )
    raise UnsafeURLError(f"not a usable URL: {printable(url)!r} (expected https://…)")


def usage_url(url: str) -> str:
    """Accept the full usage URL or a base URL, as other Codex clients do."""
    url = check_url(url.rstrip("/"))
    parts = urlsplit(url)
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise UnsafeURLError(f"refusing the usage URL {printable(url)!r}: a base or usage URL has no ?query or #fragment")
    path = parts.path
    if path.endswith("/usage"):
        return url
    if "/backend-api" in path:
        return url + "/wham/usage"
    return url + "/api/codex/usage"
