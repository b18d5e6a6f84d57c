"""Open files we only read (auth files, session logs) without ever blocking on a special file.

A FIFO opened for reading blocks until a writer appears, whatever ``--timeout`` says; a device
can stream forever. Checking with ``stat`` first and opening with ``O_NONBLOCK`` (then checking
the opened descriptor again, against a swap in between) keeps every read bounded.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO


class NotRegularFile(OSError):
    """The path is a FIFO, socket, device or directory: skipped, never opened for reading."""


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for binary reading only when it is a regular file (symlinks followed)."""
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
    if not stat.S_ISREG(mode):
        raise NotRegularFile(f"{path} is not a regular file")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(f"{path} is not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
