"""CSV files for people to open in a spreadsheet: the one way the product writes them.

Pure: a header and rows in, text out. Three things make a CSV safe and readable there:

- Cells are data, never formulas. A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return would be evaluated by Excel, LibreOffice or Google Sheets (a name typed
  as ``=cmd|' /C calc'!A0`` runs a program); such cells get a leading apostrophe, as OWASP's
  CSV injection guidance recommends, which the spreadsheet shows as plain text.
- The text starts with a UTF-8 byte order mark, so Excel reads Hebrew and Cyrillic as UTF-8
  rather than the machine's ANSI code page.
- Timestamps carry their zone (ISO 8601 with the UTC offset); a naive one is taken as UTC,
  which is what the service stores.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """One cell as text a spreadsheet shows as written."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).isoformat()
    if isinstance(value, bool | int | float):
        return str(value)  # a number the product wrote, not text a customer typed
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole file: BOM, header, then one line per row, every cell made safe."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
