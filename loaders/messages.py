"""The exceptions that carry what the loaders tell a clerk. The words themselves are
``portal.i18n.t("loader.KEY", lang, ...)``, from portal/reference/loader_messages.toml (zh and en).

Nothing personal is ever put into a message: they name the file, the column and the reason;
a rejected value appears only masked, and only in the rejects file (loaders/rejects.py)."""

from __future__ import annotations

from typing import Any


# --------------------------------------------------------------------------- errors
class UnusableFile(Exception):
    """The file cannot be used at all; nothing was changed. ``str(exc)`` is one line in the
    user's language naming the file (and the column or reason)."""


class KeyMismatch(UnusableFile):
    """The working store was made under another pseudonym key."""


class RowReject(Exception):
    """One bad row: which column, why (a loader_messages.toml key) and the raw value (masked later)."""

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
