"""Checking a file's rows: each goes through its kind's row function to the chunk being filled,
the rejects file or the unpaid list. A key repeated inside the file is rejected (the first
occurrence stands); the good rows are written ``CHUNK`` at a time."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from typing import Any

from loaders.cells import is_empty
from loaders.headers import HeaderMap
from loaders.kinds import KindSpec
from loaders.messages import NotPaid, RowReject, UnusableFile
from loaders.rejects import RejectsWriter, mask
from loaders.store import ChunkWriter
from portal.i18n import t

CHUNK = 20_000  # rows per executemany


class KeyRegistry:
    """The keys of a file already written, by 64-bit hash with the row each was first seen
    in. Up to ``SMALL`` keys a dict; beyond, sorted NumPy arrays (16 bytes a row instead of
    ~100), so a million-row file's memory stays nearly flat. Two different keys with the same
    64-bit hash (odds ~1e-8 in a million rows) would be reported as a duplicate, never merged."""

    SMALL = 100_000

    def __init__(self) -> None:
        self.small: dict[int, int] = {}
        self.np = None
        self.hashes = self.rows = None

    def first_rows(self, hashes: list[int]) -> list[int]:
        """For each hash, the row where it was first seen, or -1."""
        if self.np is None:
            get = self.small.get
            return [get(h, -1) for h in hashes]
        np = self.np
        h = np.array(hashes, dtype=np.int64)
        idx = np.minimum(np.searchsorted(self.hashes, h), len(self.hashes) - 1)
        return np.where(self.hashes[idx] == h, self.rows[idx], -1).tolist()

    def add(self, hashes: list[int], rows: list[int]) -> None:
        if self.np is None:
            self.small.update(zip(hashes, rows, strict=True))
            if len(self.small) <= self.SMALL:
                return
            import numpy as np

            self.np = np
            self.hashes = np.empty(0, dtype=np.int64)
            self.rows = np.empty(0, dtype=np.int64)
            hashes, rows = list(self.small), list(self.small.values())
            self.small = {}
        np = self.np
        h = np.concatenate([self.hashes, np.array(hashes, dtype=np.int64)])
        r = np.concatenate([self.rows, np.array(rows, dtype=np.int64)])
        order = np.argsort(h, kind="stable")  # two sorted runs: merged in linear time
        self.hashes, self.rows = h[order], r[order]


class RowCheck:
    """One pass over a file's data rows (``run``): the chunk being filled and the keys seen."""

    def __init__(
        self,
        spec: KindSpec,
        hmap: HeaderMap,
        row_fn: Callable[[list[Any]], Any],
        writer: ChunkWriter,
        rejects: RejectsWriter,
        not_paid: RejectsWriter,
        lang: str,
    ):
        self.row_fn = row_fn
        self.writer = writer
        self.rejects = rejects
        self.not_paid = not_paid
        self.lang = lang
        self.labels = hmap.labels
        self.pii = {c.name: c.pii for c in spec.columns}
        self.width = hmap.width + 1  # a missing column reads the pad cell past the last one
        self.file_key = spec.file_key
        self.key_column = spec.file_key_column or spec.key[0]
        self.key_pos = hmap.positions[self.key_column]
        self.chunk: list[list[Any]] = []
        self.chunk_cells: list[list[Any]] = []  # the raw rows of ``chunk`` (masked values of late rejects)
        self.chunk_keys: dict[int, int] = {}  # key hash -> row number, for this chunk
        self.earlier = KeyRegistry()  # keys of the chunks already written

    def run(
        self, rows: Iterable[tuple[int, list[Any]]], on_error: Callable[[], UnusableFile] | None
    ) -> tuple[int, int]:
        """Checks every row; returns (rows, loaded). Blank rows and unpaid orders are not rows."""
        row_fn, file_key, chunk_keys = self.row_fn, self.file_key, self.chunk_keys
        width = self.width
        pad = [None] * width
        n_rows = loaded = 0
        try:
            for row_no, cells in rows:  # decode errors: see the except below
                n = len(cells)
                if n < width:
                    cells.extend(pad[: width - n])
                if not any(cells):  # a blank row (Excel leaves many) is not a row
                    continue
                try:
                    out = row_fn(cells)
                    if file_key is not None:
                        k = hash(out[file_key] if file_key.__class__ is int else file_key(out))
                        first = chunk_keys.setdefault(k, row_no)
                        if first != row_no:
                            raise self.duplicate(cells, first)
                except NotPaid as skipped:
                    self.unpaid(row_no, skipped)
                    continue
                except RowReject as r:
                    if all(is_empty(c) for c in cells):
                        continue  # only spaces or dashes: still a blank row
                    n_rows += 1
                    self.reject(row_no, r)
                    continue
                n_rows += 1
                loaded += 1
                self.chunk.append(out)
                self.chunk_cells.append(cells)
                if len(self.chunk) >= CHUNK:
                    loaded -= self.flush()
            loaded -= self.flush()
        except (UnicodeDecodeError, csv.Error):
            if on_error is None:
                raise
            raise on_error() from None
        return n_rows, loaded

    def duplicate(self, cells: list[Any], first: int) -> RowReject:
        label = self.labels[self.key_column]
        return RowReject(self.key_column, "duplicate_key", cells[self.key_pos], label=label, first=first)

    def unpaid(self, row_no: int, skipped: NotPaid) -> None:
        """An unpaid platform order: listed in the not-paid file, not a row."""
        label = self.labels.get(skipped.column, skipped.column)
        value = mask(skipped.value, None, skipped.column)
        self.not_paid.add(row_no, label, t("loader.order_not_paid", self.lang), value)

    def reject(self, row_no: int, r: RowReject) -> None:
        label = self.labels.get(r.column, r.column)
        value = mask(r.value, self.pii.get(r.column), r.column)
        self.rejects.add(row_no, label, t(f"loader.{r.reason}", self.lang, **r.params), value, r.reason)

    def flush(self) -> int:
        """Writes the chunk less the keys an earlier chunk had; returns how many it dropped."""
        chunk = self.chunk
        dropped = 0
        if self.file_key is not None:
            hashes, row_nos = list(self.chunk_keys), list(self.chunk_keys.values())
            firsts = self.earlier.first_rows(hashes)
            if any(f >= 0 for f in firsts):
                keep = [i for i, f in enumerate(firsts) if f < 0]
                for i, f in enumerate(firsts):
                    if f >= 0:
                        self.reject(row_nos[i], self.duplicate(self.chunk_cells[i], f))
                dropped = len(chunk) - len(keep)
                chunk = [chunk[i] for i in keep]
                hashes, row_nos = [hashes[i] for i in keep], [row_nos[i] for i in keep]
            self.earlier.add(hashes, row_nos)
            self.chunk_keys.clear()
        if chunk:
            self.writer.put(chunk)
        self.chunk, self.chunk_cells = [], []
        return dropped
