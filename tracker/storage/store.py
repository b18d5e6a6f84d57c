"""The tracker database's queries: ``Store.open(url)``, then one mixin per concern (writing,
reading series, grid reads and the usual weeks kept from them, listing history, token counts,
retention), each in its own module.

``tracker.storage.db`` opens and upgrades the database; the queries here never import Alembic.
"""

from __future__ import annotations

from tracker.storage.credits import CreditStore
from tracker.storage.grids import GridReader
from tracker.storage.history import HistoryReader
from tracker.storage.retention import Retention
from tracker.storage.series import SeriesReader
from tracker.storage.tokens import TokenReader
from tracker.storage.writes import SnapshotWriter


class Store(SnapshotWriter, SeriesReader, GridReader, HistoryReader, TokenReader, Retention, CreditStore):
    """Every query of the tracker database, by concern; use as ``with Store.open(url) as store:``."""
