"""The state file beside a SQLite database (``<db>.status.json``): the report figures ``tracker
status`` renders, computed when something was stored, so that the status line needs neither the
database nor click. Staleness and "reset since the last snapshot" are decided when it is read.

Pure apart from reading and writing that one file; imports neither click nor SQLAlchemy. Reading
(the status fast path) imports no dataclasses either: ``from_state`` gives plain attribute records
with the names and properties ``views.status`` reads of a Report (dataclasses import inspect,
milliseconds of a prompt's budget).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from types import SimpleNamespace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import timedelta
    from pathlib import Path

    from tracker.insight.report import Report

VERSION = 1
_TIMES = ("reset_at", "last_at", "exhausts_at")


def state_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".status.json")


def state_file(db_file: str) -> str:
    """``state_path`` of a database path given as text (the fast path has no pathlib)."""
    return db_file + ".status.json"


def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def to_state(report: Report, db_path: Path, as_of: bool = False) -> dict:
    from dataclasses import asdict, fields

    from tracker.insight.figures import Forecast

    names = [f.name for f in fields(Forecast) if f.name != "path"]
    st = db_path.stat()
    accounts = []
    for a in report.accounts:
        windows = [{"key": asdict(w.key),
                    "figures": {k: (_t(v) if k in _TIMES else v)
                                for k, v in ((k, getattr(w.figures, k)) for k in names)}}
                   for w in a.windows]
        error = a.last_error and {"kind": a.last_error.kind, "since": _t(a.last_error.since),
                                  "at": _t(a.last_error.at), "http_status": a.last_error.http_status,
                                  "message": a.last_error.message}
        accounts.append({"account": a.account, "plan": a.plan, "last_snapshot_at": _t(a.last_snapshot_at),
                         "last_error": error or None, "reset_credits_available": a.reset_credits_available,
                         "credits_balance": a.credits_balance,
                         "windows": windows})
    return {"version": VERSION, "computed_at": _t(report.generated_at), "as_of": as_of, "db_mtime_ns": st.st_mtime_ns,
            "db_size": st.st_size, "accounts": accounts}


def write_state(report: Report, db_path: Path, as_of: bool = False) -> None:
    """Atomically, mode 0600 (it names the accounts)."""
    from tracker.atomic import atomic_output

    path = state_path(db_path)
    with atomic_output(path, mode=0o600) as handle:  # mkstemp makes it 0600 from the start
        handle.write(json.dumps(to_state(report, db_path, as_of)).encode())


MAX_STATE_BYTES = 64 << 20  # 500 accounts take well under 1 MiB


def _read_regular(path: str) -> bytes:
    """A regular file's bytes, at most ``MAX_STATE_BYTES``: a FIFO in its place blocked the status
    line for ever (no writer), a link to /dev/zero filled the memory; both raise OSError here."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if (info.st_mode & 0o170000) != 0o100000 or info.st_size > MAX_STATE_BYTES:  # S_ISREG, without stat
            raise OSError(f"{path}: not a regular file of a sane size")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(MAX_STATE_BYTES + 1)
    finally:
        os.close(fd)


def read_state(db_path: str | Path) -> dict | None:
    """The state, or None when it is missing, unreadable, of another version or older than the database."""
    try:
        data = json.loads(_read_regular(state_file(os.fspath(db_path))))
        st = os.stat(db_path)
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested 200,000 deep (a traceback)
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    if (data.get("db_mtime_ns"), data.get("db_size")) != (st.st_mtime_ns, st.st_size):
        return None
    return data


class _Window(SimpleNamespace):
    """A WindowReport's ``key``, ``figures`` and ``live``, as the state file has them."""

    @property
    def live(self) -> bool:  # as WindowReport.live
        return not self.figures.reset_since_last_snapshot


def _window(raw: dict, now: datetime) -> _Window:
    values = {k: (_dt(v) if k in _TIMES else v) for k, v in raw["figures"].items()}
    figures = SimpleNamespace(**values)
    if figures.reset_at is not None and figures.reset_at <= now:  # the reset passed after writing
        figures.reset_since_last_snapshot = True
    return _Window(key=SimpleNamespace(**raw["key"]), figures=figures)


def from_state(data: dict, names: tuple[str, ...], now: datetime, stale_after: timedelta) -> SimpleNamespace | None:
    """What ``build_report`` would give at ``now`` (the attributes ``views.status`` reads of a Report,
    its accounts, windows and figures); None when a name asked for is not in it."""
    accounts = [a for a in data["accounts"] if not names or a["account"] in names]
    if {a["account"] for a in accounts} != set(names or {a["account"] for a in accounts}):
        return None
    result = []
    for a in accounts:
        last = _dt(a["last_snapshot_at"])
        e = a["last_error"]
        error = e and SimpleNamespace(kind=e["kind"], since=_dt(e["since"]), at=_dt(e["at"]),
                                      http_status=e["http_status"], message=e["message"])
        result.append(SimpleNamespace(
            account=a["account"], plan=a["plan"], last_snapshot_at=last,
            stale=last is None or now - last > stale_after, last_error=error or None,
            windows=[_window(w, now) for w in a["windows"]], reset_credits_available=a["reset_credits_available"],
            credits_balance=a.get("credits_balance")))
    return SimpleNamespace(generated_at=now, accounts=result)
