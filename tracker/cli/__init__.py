"""Stage 5, the command line: parse options, call one function, print its result. The group and
the core commands (``root``), one module per command area (``collect``, ``notify``, ``data``,
``accounts``, ``backtest``, ``serve``, ``ops``), option bundles and ``open_store`` (``options``),
click parameter types that refuse a bad value before anything opens (``params``), and the one
place where errors become a line and an exit code (``app``). ``schedule`` and ``demo`` are the
work of their commands.

May import anything; nothing imports it. ``tracker.cli:main`` is the console script.
"""

from tracker.cli.root import cli, main

__all__ = ["cli", "main"]
