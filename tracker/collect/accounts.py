"""Find Codex ``auth.json`` files and read the few fields a usage request needs.

Read-only by design: Codex rotates refresh tokens, so a second writer would log the user out.
Tokens live only in ``Account`` (hidden from ``repr``) and in ``Account.secrets`` for redaction.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracker.errors import NoAccountsError, TrackerError
from tracker.fsutil import NotRegularFile, open_regular
from tracker.render import printable

AUTH_SUFFIX = ".auth.json"
MAX_AUTH_BYTES = 1 << 20
DEFAULT_NAME = "default"
# What a header value may hold: visible ASCII. CR/LF would split the request (and requests'
# error about it quotes the value: the token's tail would end in messages and the database).
_HEADER_SAFE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


@dataclass(frozen=True)
class AccountRef:
    """Where an account's credentials are: known before the file is read."""

    name: str
    path: Path


@dataclass
class Account:
    name: str
    path: Path
    account_id: str | None
    access_token: str = field(repr=False)
    email: str | None = None
    plan: str | None = None
    expires_at: datetime | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)
    warnings: tuple[str, ...] = ()


class AuthFileError(TrackerError):
    """The auth file cannot be used; ``status`` is ``auth_error`` or ``expired``."""

    def __init__(self, message: str, status: str = "auth_error") -> None:
        super().__init__(message, exit_code=1)
        self.status = status


def name_for_auth_file(path: Path) -> str:
    name = path.name
    if name.endswith(AUTH_SUFFIX) and len(name) > len(AUTH_SUFFIX):
        return name[: -len(AUTH_SUFFIX)]
    return path.stem


def name_for_codex_home(path: Path) -> str:
    """``~/.codex-work`` -> ``codex-work``; the default Codex home is ``default`` however it is
    named, so ``collect`` and ``import-sessions`` file the same login under one account."""
    from tracker.config import codex_home

    resolved = path.expanduser().resolve()
    if resolved == codex_home().resolve():
        return DEFAULT_NAME
    return resolved.name.lstrip(".") or DEFAULT_NAME


def split_named(value: str) -> tuple[str | None, str]:
    """``NAME=PATH`` -> (NAME, PATH); a plain path -> (None, PATH)."""
    name, sep, rest = value.partition("=")
    if sep and name and "/" not in name and os.sep not in name:
        return name, rest
    return None, value


def discover_accounts(
    *,
    account_dirs: tuple[str, ...] = (),
    auth_files: tuple[str, ...] = (),
    codex_homes: tuple[str, ...] = (),
    default_home: Path,
    only: tuple[str, ...] = (),
    skipped: list[str] | None = None,
) -> list[AccountRef]:
    """Every account the options name; the logged-in Codex account when they name none.

    A ``<name>.auth.json`` file in an account directory whose name makes no usable account name is
    left out; ``skipped`` (when given) receives one line per such file, saying which and why."""
    refs: list[AccountRef] = []
    looked: list[str] = []
    for directory in account_dirs:
        path = Path(directory).expanduser().absolute()
        looked.append(f"{path}/*{AUTH_SUFFIX}")
        try:
            entries = sorted(path.iterdir())
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
            raise NoAccountsError(f"cannot read account directory {printable(str(path))}: "
                                  f"{getattr(exc, 'strerror', None) or exc}") from None
        for p in entries:
            if not p.name.endswith(AUTH_SUFFIX):
                continue
            name = name_for_auth_file(p)
            if _usable(name):
                refs.append(AccountRef(name, p))
            elif skipped is not None:  # a file name with a newline names no account: say so
                skipped.append(f"{_shown_path(p)}: skipped: {_unusable_why(name)} (rename the file)")
    for value in auth_files:
        name, raw = split_named(value)
        if not raw.strip():
            raise TrackerError("--auth needs a file: --auth [NAME=]FILE", exit_code=2)
        path = Path(raw).expanduser().absolute()
        looked.append(str(path))
        refs.append(AccountRef(check_account_name(name or name_for_auth_file(path)), path))
    for value in codex_homes:
        name, raw = split_named(value)
        path = Path(raw).expanduser().absolute()
        looked.append(str(path / "auth.json"))
        refs.append(AccountRef(check_account_name(name or name_for_codex_home(path)), path / "auth.json"))
    if not (account_dirs or auth_files or codex_homes):
        path = default_home / "auth.json"
        looked.append(str(path))
        if path.exists():
            refs.append(AccountRef(DEFAULT_NAME, path))
    seen: dict[str, Path] = {}
    for ref in refs:
        if ref.name in seen and seen[ref.name] != ref.path:
            raise NoAccountsError(
                f"two accounts are both named {ref.name!r} ({seen[ref.name]} and {ref.path}): "
                "name one explicitly with NAME=PATH"
            )
        seen[ref.name] = ref.path
    _one_name_per_file(refs)
    refs = list({ref.name: ref for ref in refs}.values())
    if only:
        unknown = [n for n in only if n not in seen]
        if unknown:
            raise NoAccountsError(
                f"no account named {', '.join(unknown)} (known: {', '.join(sorted(seen)) or 'none'})"
            )
        refs = [r for r in refs if r.name in only]
    if not refs:
        raise NoAccountsError(
            "no Codex account found; looked in " + ", ".join(looked)
            + " (run `codex login`, or pass --account-dir, --auth or --codex-home)"
        )
    return refs


def decode_jwt_payload(token: str) -> dict[str, Any] | None:
    """The claims of a JWT, or None when the token is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# Real access tokens are JWTs of hundreds of characters. A shorter one cannot be told apart from
# ordinary words in what the server answers (redaction looks for runs of LEAK_RUN = 16 characters).
MIN_TOKEN_LENGTH = 16


def load_account(ref: AccountRef) -> Account:
    """Read one auth file. Raises ``AuthFileError`` with a message that names the account."""
    where = str(ref.path)
    try:
        info = ref.path.stat()
        if info.st_size > MAX_AUTH_BYTES:
            raise AuthFileError(f"{where} is {info.st_size} bytes, too large to be an auth file")
        with open_regular(ref.path) as handle:
            raw = handle.read(MAX_AUTH_BYTES + 1)
    except NotRegularFile:
        raise AuthFileError(f"{where} is not a regular file (a FIFO, socket or device?): skipped") from None
    except FileNotFoundError:
        raise AuthFileError(f"{where} does not exist (run `codex login`, or fix the path)") from None
    except IsADirectoryError:
        raise AuthFileError(f"{where} is a directory, not an auth file") from None
    except OSError as exc:
        raise AuthFileError(f"{where} cannot be read: {exc.strerror or exc} (check its permissions)") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise AuthFileError(f"{where} is not valid JSON (run `codex login` to rewrite it)") from None
    tokens = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(tokens, dict):
        raise AuthFileError(f"{where} has no \"tokens\" object (run `codex login`)")
    access = _str_or_none(tokens.get("access_token"))
    # Only values long enough to be secrets are redacted: a refresh token of three letters would
    # blank every "abc" in what is stored (it is never sent, so no server can echo it).
    secrets = tuple(
        t for t in (tokens.get(k) for k in ("access_token", "refresh_token", "id_token"))
        if isinstance(t, str) and len(t) >= MIN_TOKEN_LENGTH
    )
    if access is None:
        raise AuthFileError(f"{where} has no tokens.access_token (run `codex login`)")
    if len(access) < MIN_TOKEN_LENGTH:
        raise AuthFileError(f"{where}: tokens.access_token is {len(access)} characters, too short to be a real "
                            "token (run `codex login` to rewrite the file)")
    if access.startswith("sess-"):
        raise AuthFileError(
            f"{where} holds a browser session token (sess-…), not a Codex access token; "
            "run `codex login` and use the auth.json it writes"
        )
    if not _HEADER_SAFE.fullmatch(access):
        raise AuthFileError(f"{where}: tokens.access_token holds characters an HTTP header cannot carry "
                            "(control or non-ASCII): run `codex login` to rewrite the file")
    claims = decode_jwt_payload(access) or {}
    expires_at = None
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool) and 0 < exp < 1e11:
        expires_at = datetime.fromtimestamp(exp, tz=UTC)
    elif isinstance(exp, int | float) and not isinstance(exp, bool) and exp <= 0:
        expires_at = datetime.fromtimestamp(0, tz=UTC)  # expired before it was issued: never send it
    id_claims = decode_jwt_payload(_str_or_none(tokens.get("id_token")) or "") or {}
    auth_claims = id_claims.get("https://api.openai.com/auth")
    auth_claims = auth_claims if isinstance(auth_claims, dict) else {}
    warnings: tuple[str, ...] = ()
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings = (f"{where} is readable by other users; it holds a token: chmod 600 {ref.path}",)
    account_id = _str_or_none(tokens.get("account_id")) or _str_or_none(auth_claims.get("chatgpt_account_id"))
    if account_id is not None and not _HEADER_SAFE.fullmatch(account_id):
        raise AuthFileError(f"{where}: the account id holds characters an HTTP header cannot carry "
                            "(control or non-ASCII): run `codex login` to rewrite the file")
    return Account(
        name=ref.name,
        path=ref.path,
        account_id=account_id,
        access_token=access,
        email=_str_or_none(id_claims.get("email")),
        plan=_str_or_none(auth_claims.get("chatgpt_plan_type")),
        expires_at=expires_at,
        secrets=secrets,
        warnings=warnings,
    )


MAX_NAME = 200  # the accounts.name column


def _usable(name: str) -> bool:
    """Storable and printable as a name: no control characters (C0 or C1), no bidi override or line
    separator (a name shows in terminals and the dashboard as it is), no ``/``, and valid Unicode (a
    file name that is not UTF-8 decodes to lone surrogates, which no database column can hold)."""
    return (bool(name.strip()) and len(name) <= MAX_NAME and "/" not in name and printable(name) == name
            and not any(0xD800 <= ord(c) <= 0xDFFF for c in name))


def _unusable_why(name: str) -> str:
    if not name.strip():
        return "the file name gives an empty account name"
    if len(name) > MAX_NAME:
        return f"the account name would be {len(name):,} characters (at most {MAX_NAME})"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        return "the file name is not UTF-8"
    return "the file name holds control, line-separator or bidi characters"


def _shown_path(path: Path) -> str:
    """A path for a message: bytes that are not UTF-8 as ``\\xff``, control characters escaped."""
    return printable(os.fsencode(path).decode("utf-8", "backslashreplace"))


def check_account_name(name: str) -> str:
    """A name given on the command line: not empty, no control characters, no ``/``."""
    if not _usable(name):
        raise TrackerError(f"not a usable account name: {name!r} (at most 200 characters: letters, digits, - or _)", exit_code=2)
    return name


def _one_name_per_file(refs: list[AccountRef]) -> None:
    """The same auth file (the same Codex home) under two names would store one account twice."""
    names: dict[str, str] = {}
    for ref in refs:
        other = names.setdefault(os.path.realpath(ref.path), ref.name)
        if other != ref.name:
            raise NoAccountsError(f"{ref.path} is named both {other!r} and {ref.name!r}: "
                                  "one name per Codex home or auth file (drop one of the options)")


def same_file_other_name(refs: list[AccountRef], stored: dict[str, str | None]) -> dict[str, str]:
    """Account name -> the stored account that already reads the same auth file under another name."""
    by_file: dict[str, list[str]] = {}
    for name, path in sorted(stored.items()):
        if path:
            by_file.setdefault(os.path.realpath(path), []).append(name)
    found = {}
    for ref in refs:
        others = [n for n in by_file.get(os.path.realpath(ref.path), []) if n != ref.name]
        if others:
            found[ref.name] = others[0]
    return found


def resolve_codex_homes(values: tuple[str, ...], default_home: Path, account: str | None = None) -> list[tuple[str, Path]]:
    """The Codex homes ``import-sessions`` reads, each named as ``collect`` names it."""
    if account is not None:
        check_account_name(account)
    homes = []
    for value in values or (str(default_home),):
        name, raw = split_named(value)
        path = Path(raw).expanduser()
        if not path.is_dir():
            raise NoAccountsError(f"no Codex home at {path} (pass --codex-home DIR)")
        default = "default" if not values else name_for_codex_home(path)
        homes.append((account or name or default, path))
    return homes


def codex_home_of(source: str | None) -> Path | None:
    """The Codex home an account's credentials were read from, when they were (``HOME/auth.json``).

    Only such accounts can be switched to with ``CODEX_HOME=...``: Codex reads that one file name.
    """
    if not source:
        return None
    path = Path(source)
    return path.parent if path.name == "auth.json" else None
