"""Stage 3, insight: what the readings mean. Windows and resets (``timeline``, the one reset rule;
``windows``), the forecast and
its profile (``forecast``, ``profile``), the per-account figures of a report (``report``), the
reset ledger (``ledger``), the backtest (``backtest``), alert rules for check/pick (``alerts``) and
what pruning keeps (``retention``).

Pure: points and ``now`` in, figures out; a store is passed in where a bounded read is needed,
never opened here. May import: the bottom layer, collect's constants and storage's value types.
"""
