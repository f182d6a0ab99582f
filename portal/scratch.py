"""Scratch space for person-level rows while publish works: the Arrow files the working store
is read into, and DuckDB's spill files. They hold pseudonymous children, donors and volunteers
with their category, county and dates, so they live in the data directory's private area
(``DATA_DIR/private/tmp``, mode 0700), never in the system's temporary directory; each is
removed on every way out of the step that made it, and what a killed process left behind
(kill -9, a power cut) is cleared when the next one starts.

Each process's scratch folders carry its pid: a folder whose process is gone is left over and
removed; a live one belongs to a publish running beside this one and is left alone."""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from portal.settings import get_settings


def root() -> Path:
    """The private scratch area, made (0700) when missing."""
    path = get_settings().data_dir / "private" / "tmp"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    os.chmod(path, 0o700)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def clear_leftovers() -> list[Path]:
    """Remove the scratch folders of processes that are gone; returns what was removed."""
    removed = []
    for folder in root().iterdir():
        pid = folder.name.split("-")[1] if folder.name.count("-") >= 2 else ""
        if pid.isdecimal() and not _alive(int(pid)) and int(pid) != os.getpid():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextlib.contextmanager
def folder(purpose: str) -> Iterator[Path]:
    """A fresh private folder for one step, removed however the step ends."""
    path = Path(tempfile.mkdtemp(prefix=f"{purpose}-{os.getpid()}-", dir=root()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@functools.cache
def spill_folder() -> Path:
    """This process's folder for DuckDB's spill files (a step that outgrows memory writes
    there), removed when the process exits."""
    path = Path(tempfile.mkdtemp(prefix=f"duckdb-{os.getpid()}-", dir=root()))
    atexit.register(shutil.rmtree, path, True)
    return path
