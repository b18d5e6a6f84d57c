"""Keeping tokens out of everything stored and shown: exact tokens, anything shaped like one, and
text that still carries one in another form (JSON-escaped, URL-encoded, base64, cut apart),
which is withheld whole rather than guessed at."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote

from tracker.render import printable

_SECRET_PATTERNS = [
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"),
    re.compile(r"\bsess-[A-Za-z0-9_-]{8,}"),
]
REDACTED = "[REDACTED]"
WITHHELD = "[withheld: it echoed a credential]"
LEAK_RUN = 16  # this many characters of a token segment, in any form, count as a leak
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_NOT_TOKEN_CHAR = re.compile(r"[^A-Za-z0-9_-]+")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{24,}={0,2}")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove tokens: the exact ones, anything shaped like one, and any text that still carries
    a token in another form (JSON-escaped, URL-encoded, base64, cut by ``/`` or spaces), which is
    withheld whole rather than guessed at."""
    for secret in secrets:
        if secret:  # the whole value where it stands as such, never a word inside other text
            text = re.sub(rf"(?<![A-Za-z0-9_-]){re.escape(secret)}(?![A-Za-z0-9_-])", REDACTED, text)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
    if secrets and carries_secret(text, secrets):
        return WITHHELD
    return text


def _fragments(secrets: tuple[str, ...]) -> list[str]:
    """The pieces of each token a leak would show: a JWT's payload and signature (its header,
    ``{"alg":...}``, is the same in every JWT and secret in none), or the whole opaque token."""
    parts = set()
    for secret in secrets:
        pieces = secret.split(".")
        parts.update(pieces[1:] if len(pieces) == 3 else [secret])
    return sorted(part for part in parts if len(part) >= LEAK_RUN)


def _has_run(text: str, part: str) -> bool:
    """Whether ``text`` holds LEAK_RUN consecutive characters of ``part``.

    Any such run contains one of ``part``'s 8-character blocks at a multiple of 8: find those
    (fast, in C) and extend each hit both ways.
    """
    for start in range(0, len(part) - 7, 8):
        block = part[start:start + 8]
        at = text.find(block)
        while at != -1:
            left = 0
            while left < start and left < at and text[at - left - 1] == part[start - left - 1]:
                left += 1
            right = 8
            while start + right < len(part) and at + right < len(text) and text[at + right] == part[start + right]:
                right += 1
            if left + right >= LEAK_RUN:
                return True
            at = text.find(block, at + 1)
    return False


def _forms(text: str) -> list[str]:
    """The text as a token could hide in it: unescaped, URL-decoded, token characters only, and
    base64 runs decoded."""
    unescaped = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text).replace("\\/", "/")
    decoded = unquote(unescaped)
    forms = [text, unescaped, decoded, _NOT_TOKEN_CHAR.sub("", decoded)]
    for run in _BASE64_RUN.findall(decoded):
        raw = run.rstrip("=").replace("+", "-").replace("/", "_")
        try:
            plain = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            continue
        forms += [plain, _NOT_TOKEN_CHAR.sub("", plain)]
    return forms


def carries_secret(text: str, secrets: tuple[str, ...]) -> bool:
    """Whether any form of ``text`` holds LEAK_RUN characters of a token's segment."""
    parts = _fragments(secrets)
    return bool(parts) and any(_has_run(form, part) for form in _forms(text) for part in parts)


def scrub(text: str | None, secrets: tuple[str, ...]) -> str | None:
    """Text from the server made safe to keep and to print: no token, no control characters."""
    return None if text is None else printable(redact(text, secrets))


def withhold(text: str | None, secrets: tuple[str, ...]) -> str | None:
    """Server text kept from a parsed answer (a plan, a limit name, a credit's title): the whole
    text replaced when it carries a token in any form."""
    if text is not None and (any(s and s in text for s in secrets) or carries_secret(text, secrets)):
        return REDACTED
    return text
