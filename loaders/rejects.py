"""The lists of rows not loaded: ``FILE.rejects.csv`` (bad rows) and ``FILE.not-paid.csv``
(unpaid platform orders), each row with its number, column, reason and value, the value masked.

Values appear nowhere else: personal columns are masked by their kind, every other column's
ID-, phone- and account-shaped digits too."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any

from loaders.cells import cell_text
from portal.i18n import t
from portal.spreadsheet import escape

REJECT_VALUE_CHARS = 200  # a rejects file shows enough of a value to find it, not megabytes


_DIGIT_RUN = re.compile(r"\+?[0-9](?:[ \-]?[0-9Xx]){8,}")
# columns that hold a number, a date or a time: letters there are someone's words (a name typed
# into the amount column), not a value the clerk needs to see to find the row
_NUMERIC_COLUMN = re.compile(r"amount|hours|seconds|_on$|_date$|_time$|school_year")
_WORDS = re.compile(r"[^\W\d_]", re.UNICODE)


def mask_id(value: str) -> str:
    s = "".join(str(value).split())
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_phone(value: str) -> str:
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str) -> str:
    s = "".join(str(value).split())
    if not s:
        return ""
    return s[0] + "*" * max(1, len(s) - 1)


def mask_digits(value: str) -> str:
    """Belt and braces for non-personal columns: any long digit run, however spaced, looks
    like an ID, a phone or a bank account that a clerk typed into the wrong column, so it is
    masked too."""

    def hide(match: re.Match) -> str:
        digits = "".join(ch for ch in match.group() if ch.isdigit() or ch in "Xx")
        return mask_id(digits) if len(digits) > 12 else mask_phone(digits)

    return _DIGIT_RUN.sub(hide, value)


def mask(value: Any, pii: str | None, column: str | None = None) -> str:
    """A rejected cell as the rejects file shows it: personal columns by their kind, every
    other column with ID-, phone- and account-shaped digits masked, and a number or date
    column's letters starred."""
    if value is None:
        return ""
    s = cell_text(value)
    if pii is None and column and _NUMERIC_COLUMN.search(column):
        s = _WORDS.sub("*", s)
    if pii == "id":
        return mask_id(s)
    if pii == "phone":
        return mask_phone(s)
    if pii == "name":
        return mask_name(s)
    if pii == "text":
        return "*" * min(len(s), 6)
    return mask_digits(s)


class RejectsWriter:
    """``FILE.rejects.csv`` (UTF-8 with BOM so Excel opens it), written to a temporary name
    and put in place only when the load finishes."""

    def __init__(self, path: Path, lang: str, *, suffix: str = ".rejects.csv", row_label: str = "col_row"):
        self.path = path.with_name(path.name + suffix)
        self.row_label = row_label
        self._tmp = self.path.with_name(self.path.name + ".part")
        self.lang = lang
        self.count = 0
        self._f = None
        self._w = None
        self._last_row = 0
        self._sorted = True
        # (column label, reason key) -> [rows, the first row's reason text], in first-seen order
        self.reasons: dict[tuple[str, str], list] = {}

    def add(self, row: int, column_label: str, reason: str, value: str, key: str | None = None) -> None:
        """One rejected row; ``key`` (the loader_messages.toml reason) groups rows for the summary."""
        counted = self.reasons.get((column_label, key or reason))
        if counted is None:
            self.reasons[(column_label, key or reason)] = [1, reason]
        else:
            counted[0] += 1
        if row < self._last_row:
            self._sorted = False  # a duplicate found when its chunk was written
        self._last_row = max(self._last_row, row)
        if self._f is None:
            self._f = open(self._tmp, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            self._w = csv.writer(self._f)
            labels = (self.row_label, "col_column", "col_reason", "col_value")
            self._w.writerow([t(f"loader.{k}", self.lang) for k in labels])
        # staff open this in Excel: a value typed as =HYPERLINK(...) stays text
        if len(value) > REJECT_VALUE_CHARS:
            value = value[:REJECT_VALUE_CHARS] + "…"
        self._w.writerow([row, escape(column_label), escape(reason), escape(value)])
        self.count += 1

    def finish(self) -> str | None:
        if self._f is None:
            if self.path.exists():
                self.path.unlink()  # a stale list from an earlier run would mislead
            return None
        self._f.close()
        if not self._sorted:  # staff read it top to bottom: put the late rows in place
            with open(self._tmp, encoding="utf-8-sig", newline="") as f:
                header, *rows = list(csv.reader(f))
            rows.sort(key=lambda r: int(r[0]))
            with open(self._tmp, "w", encoding="utf-8-sig", newline="") as f:
                csv.writer(f).writerows([header, *rows])
        os.replace(self._tmp, self.path)
        return str(self.path)

    def discard(self) -> None:
        if self._f is not None:
            self._f.close()
            self._tmp.unlink(missing_ok=True)
