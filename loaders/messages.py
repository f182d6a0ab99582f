"""Messages for clerks (loaders/messages.toml, zh and en) and the exceptions that carry them.

Nothing personal is ever put into a message: they name the file, the column and the reason;
a rejected value appears only masked, and only in the rejects file (loaders/rejects.py)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

MESSAGES_FILE = Path(__file__).with_name("messages.toml")


@cache
def _messages() -> dict[str, dict[str, str]]:
    return tomllib.loads(MESSAGES_FILE.read_text(encoding="utf-8"))


def message(key: str, lang: str = "zh", **params: Any) -> str:
    entry = _messages()[key]
    text = entry["en" if lang == "en" else "zh"]
    return text.format(**params) if params else text


# --------------------------------------------------------------------------- errors
class UnusableFile(Exception):
    """The file cannot be used at all; nothing was changed. ``str(exc)`` is one line in the
    user's language naming the file (and the column or reason)."""


class KeyMismatch(UnusableFile):
    """The working store was made under another pseudonym key."""


class RowReject(Exception):
    """One bad row: which column, why (a messages.toml key) and the raw value (masked later)."""

    __slots__ = ("column", "params", "reason", "value")

    def __init__(self, column: str, reason: str, value: Any = None, **params: Any):
        self.column = column
        self.reason = reason
        self.value = value
        self.params = params


class NotPaid(Exception):
    """A platform order that was never paid: not a donation and not a mistake either. It is
    counted and listed apart from the rejects (``FILE.not-paid.csv``) and never loaded."""

    __slots__ = ("column", "value")

    def __init__(self, column: str, value: Any = None):
        self.column = column
        self.value = value
