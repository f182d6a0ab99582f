"""The faults a staff machine meets that are nobody's bug: a store another load or publish is
writing (SQLite allows one writer at a time), and a full disk. The command line names them in
the user's language instead of printing a traceback; loads and publishes are atomic, so after
either nothing was changed and the command can simply be run again."""

from __future__ import annotations

import errno

LOCKED = "locked"
DISK_FULL = "disk_full"
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        orig = getattr(exc, "orig", None)  # SQLAlchemy keeps the driver's error here
        if orig is not None and id(orig) not in seen:
            yield orig
        exc = exc.__cause__ or exc.__context__


def kind(exc: BaseException) -> str | None:
    """``LOCKED``, ``DISK_FULL`` or None for an error that is neither."""
    for error in _chain(exc):
        if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
            return DISK_FULL
        text = str(error).lower()
        if type(error).__name__ == "DiskFull" or "database or disk is full" in text or "no space left" in text:
            return DISK_FULL
        if "disk i/o error" in text:  # SQLite's word for a write the disk refused (full, over quota)
            return DISK_FULL
        if "database is locked" in text or "database table is locked" in text:
            return LOCKED
    return None
