"""Cells of every CSV or XLSX file the product writes: text that a spreadsheet would run is made inert.

A value beginning with = + - @ (or a tab or carriage return, which Excel skips before them) is read by
Excel, WPS and LibreOffice as a formula: `=HYPERLINK("http://…","点我")` in a person's name becomes a live
link, `@SUM(…)` a calculation. Prefixing a single quote (OWASP "CSV injection") keeps it visible text.
Every export passes its text cells through `cell_inert`: the import error lists, the admin's
django-import-export exports (their resources; IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops a
leading "=") and any CSV or XLSX a view writes.
"""

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_inert(value: Any) -> Any:
    """The value to write in a cell: text that would start a formula gets a leading "'"; the rest as is.

    Numbers (int, Decimal, date) are not text and pass unchanged, so a negative amount stays a number."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def row_inert(values: list[Any]) -> list[Any]:
    return [cell_inert(value) for value in values]
