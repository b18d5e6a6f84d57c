"""codex-quota-history (the `tracker` command): keep the history of ChatGPT Codex rate-limit usage.

The package is laid out as the data flows, one subpackage per stage:
collect (accounts, HTTP, normalise, session logs) -> storage (engine, schema, the store) ->
insight (windows, forecast, ledger, backtest: pure) -> views | notify | web -> cli (parse, call,
print). The modules directly in ``tracker/`` are the bottom layer every stage may use: errors,
time, shared value types (``records``, ``points``), text rendering, atomic writes, paths.
"""

__version__ = "0.1.0"
# The distribution name on the package index (`pip install codex-quota-history`). The user data
# directory keeps its first name, codex-usage-tracker (config.APP_NAME): existing databases live there.
DIST_NAME = "codex-quota-history"
