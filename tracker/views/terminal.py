"""What a terminal changes: its width picks the layout, and colour marks severity.

Piped output (a file, a pipe, a status bar) is never coloured and keeps the full layout unless a
width is asked for, so scripts see the same text as before. ``NO_COLOR`` (any value) and
``--no-color`` turn colour off; ``--color`` forces it. No click here: the status fast path uses it.
"""

from __future__ import annotations

import os
import re
from collections import namedtuple

TYPE_CHECKING = False  # the status fast path imports this module: no typing, no dataclasses
if TYPE_CHECKING:
    from typing import IO

COMPACT_BELOW = 100  # columns: narrower terminals get the compact layout
SGR = {"critical": "1;31", "warning": "33", "stale": "2", "normal": "32", "bold": "1", "dim": "2"}


class Terminal(namedtuple("Terminal", ("width", "colour"), defaults=(None, False))):
    """How to lay out and colour one output: ``width`` None means the full layout (piped). Immutable."""

    __slots__ = ()

    @property
    def compact(self) -> bool:
        return self.width is not None and self.width < COMPACT_BELOW

    def paint(self, text: str, style: str) -> str:
        code = SGR.get(style)
        if not self.colour or not code or not text:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"


def visible_width(line: str) -> int:
    """Columns a line takes on a terminal: its colour codes take none."""
    return len(re.sub(r"\x1b\[[0-9;]*m", "", line))


def _is_terminal(stream: IO | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def for_stream(stream: IO | None, width: int | None = None, colour: bool | None = None) -> Terminal:
    """The terminal ``stream`` is: its width when it is one (``COLUMNS`` wins), else ``width``
    when asked; colour on a terminal unless NO_COLOR or TERM=dumb, or as ``colour`` says."""
    tty = _is_terminal(stream)
    if width is None and tty:
        import shutil

        width = shutil.get_terminal_size((100, 24)).columns
    if colour is None:
        colour = tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    return Terminal(width, colour)


def problem_lines(problems: list[str], codes: list[int], term: Terminal) -> list[str]:
    """``check``'s lines: escaped, wrapped to the terminal (continuations indented), coloured by
    their exit code (10 low: critical, 20 stale or missing: stale)."""
    import textwrap

    from tracker.render import printable

    lines = []
    for problem, code in zip(problems, codes, strict=True):
        text = printable(problem)
        parts = textwrap.wrap(text, term.width, subsequent_indent="  ", break_on_hyphens=False) \
            if term.width and len(text) > term.width else [text]
        lines += [term.paint(part, "stale" if code >= 20 else "critical") for part in parts]
    return lines
