"""Open a store for reading only: never create a file, never run a migration, never write.

A dashboard is often pointed at the live database that ``collect`` writes; it must not be able
to change it, even by accident. SQLite is opened through a ``mode=ro`` URI (the file must exist);
PostgreSQL sessions default to read-only transactions. The schema must already be at head:
upgrading is the writer's job (``tracker db upgrade``). This is `db.open_readonly_as_is`, the
readers' own opening, minus their one-time upgrade.
"""

from __future__ import annotations


def open_readonly(url: str):  # returns a tracker.storage.store.Store
    """A Store that cannot write: the readers' read-only opening (SQLite ``mode=ro``, PostgreSQL
    read-only transactions), without their one-time upgrade of an older database."""
    from tracker.storage.db import open_readonly_as_is
    from tracker.storage.store import Store

    return Store(open_readonly_as_is(url))


class FollowedStore:
    """The read-only store of a dashboard that outlives the file it was opened on.

    ``tracker serve`` runs for days; meanwhile the database may be restored from a backup
    (replaced: a new file under the same name) or deleted. Before every request ``check()``
    compares the file's identity (device and inode) with the one opened: a new file is opened
    afresh (no answer ever comes from the old one, nor mixes both), and a missing one is a
    ``StorageError`` (503, "the database file is gone") until it is back. Other databases
    (PostgreSQL) have no file to follow and are used as opened.
    """

    def __init__(self, url: str) -> None:
        import threading

        from tracker.config import sqlite_path

        self.lock = threading.Lock()  # requests run in a thread pool: one reopening at a time
        self.url = url
        self.path = sqlite_path(url)
        self.store = open_readonly(url)
        self.identity = self._identity()

    def _identity(self) -> tuple[int, int] | None:
        import os

        if self.path is None:
            return None
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (info.st_dev, info.st_ino)

    def check(self) -> None:
        if self.path is None:
            return
        identity = self._identity()
        if identity is None:
            from tracker.errors import StorageError

            raise StorageError(f"the database file is gone ({self.path.name}): serving resumes when it is back")
        if identity != self.identity:
            with self.lock:
                if identity != self.identity:
                    fresh = open_readonly(self.url)  # fails (503) rather than answer from the old file
                    old, self.store, self.identity = self.store, fresh, identity
                    old.close()

    def __getattr__(self, name: str):
        return getattr(self.store, name)

    def close(self) -> None:
        self.store.close()
