"""Text cells that a spreadsheet must show, never run (CSV/formula injection, OWASP).

Excel, WPS and LibreOffice treat a cell whose text starts with ``=``, ``+``, ``-`` or ``@``
as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``, DDE), and a leading tab or
carriage return is stripped before that test. Every text cell the portal writes into a CSV
or XLSX from data that came from a raw file (programme and region names, codes, a release
note, a rejected value) goes through ``escape``: such a text gets a leading apostrophe, which
spreadsheets show as text. Numbers are not text and are left alone (``-12.5`` stays a
number). No imports: the loaders use it for the rejects file too."""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def is_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def escape(value: Any) -> Any:
    """``value`` unchanged unless it is a text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
