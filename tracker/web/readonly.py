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
