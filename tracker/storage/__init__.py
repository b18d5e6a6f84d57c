"""Stage 2, storage: the database. Engines, read-only opening and upgrades (``db``), the tables
(``schema``), body compression (``codec``), and ``Store`` (``store``), composed of one mixin per
concern: writing snapshots (``writes``), reading series (``series``), grid reads and the usual
weeks kept from them (``grids``), listing history (``history``), retention (``retention``);
account administration (``accounts``).

May import: the bottom layer and collect's value types (through ``tracker.records``). SQLAlchemy
lives here and in the web's bounded reads; Alembic is imported only when an upgrade is pending.
"""
