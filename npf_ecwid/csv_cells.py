"""CSV cells safe to open in a spreadsheet (CSV/formula injection).

Text reaching our CSV reports comes from outside (SKUs from Ecwid or the WMS). A cell starting
with `=`, `+`, `-`, `@` (or tab / carriage return) is run as a formula by Excel, LibreOffice and
Google Sheets; prefixing `'` makes it plain text (OWASP's advice). Numbers are left alone, so a
negative delta stays a number.
"""

from __future__ import annotations

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """`value`, with `'` in front when it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell neutralised (numeric columns untouched)."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return safe
