"""Write a file so that readers see the old one or the new one, never half of either.

Only a regular file (or a new name) is replaced by a rename. A symlink is followed, so the link
stays a link; a FIFO or a character device (``/dev/stdout``, a pipe a reader waits on) is written
as a stream, never replaced by a regular file; anything else is refused with one line.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from tracker.errors import EXIT_NETWORK, EXIT_SETUP, TrackerError

EXIT_USAGE = EXIT_NETWORK  # 2: a wrong -o value, as click reports a wrong option


class OutputError(TrackerError):
    """The output path cannot be written: a missing directory, a directory, no permission."""


def _target(path: Path) -> tuple[Path, int | None]:
    """The path to write (a symlink resolved) and its file type, None when it does not exist."""
    path = path.expanduser()
    try:  # inside: is_symlink raises for a name too long (ENAMETOOLONG), which was an internal error
        if path.is_symlink():
            path = path.resolve()
        return path, stat.S_IFMT(path.stat().st_mode)
    except FileNotFoundError:
        return path, None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise OutputError(f"cannot write {path}: the file name is too long", EXIT_USAGE) from None
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}", EXIT_SETUP) from None


def _os_error(path: Path, exc: OSError) -> OutputError:
    if exc.errno == errno.ENOENT and not path.parent.is_dir():  # /proc exists, and refuses new files
        return OutputError(f"cannot write {path}: the directory {path.parent} does not exist", EXIT_USAGE)
    return OutputError(f"cannot write {path}: {exc.strerror or exc}", EXIT_SETUP)


FIFO_GRACE = 2.0  # seconds a FIFO may wait for its reader to open it


@contextmanager
def _stream(path: Path, kind: int) -> Iterator[BinaryIO]:
    """Write to a FIFO or a device in place; a FIFO nobody reads is refused instead of blocking."""
    flags = os.O_WRONLY | (os.O_NONBLOCK if kind == stat.S_IFIFO else 0)
    deadline = time.monotonic() + FIFO_GRACE
    while True:
        try:
            fd = os.open(path, flags)
            break
        except OSError as exc:
            if exc.errno == errno.ENXIO and time.monotonic() < deadline:
                time.sleep(0.05)  # a reader started alongside (`tracker export -o p & cat p`) may not be there yet
                continue
            if exc.errno == errno.ENXIO:
                raise OutputError(f"cannot write {path}: it is a FIFO and nothing reads it", EXIT_SETUP) from None
            raise _os_error(path, exc) from None
    os.set_blocking(fd, True)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
    except OSError as exc:  # a full device, a reader that went away
        raise _os_error(path, exc) from None


@contextmanager
def atomic_output(path: Path, mode: int = 0o644) -> Iterator[BinaryIO]:
    """A binary handle on a temporary file beside ``path``, renamed over it on success, with
    ``mode`` (0600 for files that name accounts: the temporary file is private from its first byte).

    On any failure the temporary file is removed: no empty or partial file is left behind
    (a chart that fails to render, a Prometheus textfile that node_exporter reads mid-write).
    """
    path, kind = _target(path)
    if kind in (stat.S_IFIFO, stat.S_IFCHR):
        with _stream(path, kind) as handle:
            yield handle
        return
    if kind == stat.S_IFDIR:
        raise OutputError(f"cannot write {path}: it is a directory (name a file)", EXIT_USAGE)
    if kind not in (None, stat.S_IFREG):
        raise OutputError(f"cannot write {path}: it is not a regular file", EXIT_USAGE)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent if str(path.parent) else ".")
    except OSError as exc:
        raise _os_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _os_error(path, exc) from None
        raise
