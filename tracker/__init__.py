"""codex-usage-tracker: keep the history of ChatGPT Codex rate-limit usage.

The package is laid out as the data flows, one subpackage per stage:
collect (accounts, HTTP, normalise, session logs) -> storage (engine, schema, the store) ->
insight (windows, forecast, ledger, backtest: pure) -> views | notify | web -> cli (parse, call,
print). The modules directly in ``tracker/`` are the bottom layer every stage may use: errors,
time, shared value types (``records``, ``points``), text rendering, atomic writes, paths.
"""

__version__ = "0.1.0"
