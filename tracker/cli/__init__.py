"""Stage 5, the command line: parse options, call one function, print its result. The group and
the core commands (``root``), one module per command area (``collect``, ``notify``, ``data``,
``accounts``, ``backtest``, ``serve``, ``ops``, ``watch``), option bundles and ``open_store`` (``options``),
click parameter types that refuse a bad value before anything opens (``params``), and the one
place where errors become a line and an exit code (``app``). ``schedule`` and ``demo`` are the
work of their commands.

May import anything; nothing imports it. ``tracker.cli.entry:main`` is the console script: it
answers ``tracker status`` from the state file without click; ``cli`` and ``main`` load on use.
"""

__all__ = ["cli", "main"]


def __getattr__(name: str):
    if name in __all__:
        from tracker.cli import root

        return getattr(root, name)
    raise AttributeError(name)
