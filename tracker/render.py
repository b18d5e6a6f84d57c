"""One way to turn rows into text: aligned table, JSON, CSV. Commands build rows; this prints."""

from __future__ import annotations

import json
import re

TYPE_CHECKING = False  # the status fast path imports this module: no typing, csv or io at import
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

# C0 and C1 controls (ESC starts ANSI sequences), the line and paragraph separators some terminals
# break a line at, and the bidi overrides that reorder a line.
_UNPRINTABLE = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


def printable(text: str, keep: str = "") -> str:
    """``text`` with every control character shown as an escape (``\\x1b``), never obeyed.

    Server text (plan and limit names, error bodies) and file names reach the terminal: an
    ANSI sequence in them must not recolour, move the cursor or rewrite what is shown.
    """
    if text.isprintable():  # none of those (all are unprintable): no pattern to compile on the fast path
        return text
    return re.sub(_UNPRINTABLE, lambda m: m.group() if m.group() in keep else f"\\x{ord(m.group()):02x}"
                            if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


MAX_CELL = 120  # a 200,000-character name from a server must not pad every row to that width


def cell(value: Any) -> str:
    """A table cell: escaped, and shortened with ``…`` past MAX_CELL characters."""
    text = "" if value is None else printable(str(value))
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: set[int] | None = None) -> str:
    """A plain aligned table; columns in ``right`` are right-aligned (numbers)."""
    right = right or set()
    cells = [[str(h) for h in headers]] + [[cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (OWASP)


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: a string that a spreadsheet would read as a formula
    (an account or limit named ``=HYPERLINK(...)``) gets a leading ``'``, OWASP's rule for CSV
    injection; numbers, times and everything else pass unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(headers)
    writer.writerows([[csv_cell(c) for c in row] for row in rows])
    return buffer.getvalue()


def percent(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
