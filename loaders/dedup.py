"""Keys repeated inside one file, decided a batch of rows at a time (the column-at-a-time path,
loaders/columnar.py) exactly as ``RowCheck`` decides them row by row (loaders/rows.py).

RowCheck keeps the keys of the chunk being filled (``CHUNK`` good rows) in a dict and the keys of
the chunks already written in a registry: a good row whose key the chunk already holds is
rejected at once, naming the chunk's row; at the chunk's flush, a row whose key an earlier chunk
wrote is rejected, naming that chunk's row. (So a key met in chunk 1, then twice in chunk 2, has
its third row rejected naming the second, and the second naming the first.) ``Dedup.take``
reproduces that, chunk boundaries included, and says at once which rows a flush will drop, so
a batch's rows can be written as soon as it is checked.

Keys are Python ``hash`` values of the stored key, as in RowCheck: two keys with one 64-bit hash
(odds ~1e-8 in a million rows) are reported as a duplicate, never merged."""

from __future__ import annotations

import numpy as np

from loaders import rows as _rows


class KeyRuns:
    """Keys already written, by 64-bit hash, with the row each was first seen in: sorted runs
    merged when one grows as large as the run before it (a log-structured merge: adding n keys
    costs O(n log n) in all, where re-sorting the whole registry per chunk costs O(n^2/CHUNK)),
    16 bytes a key. A bitmap of the hashes' top bits (2 bytes a key) answers "surely not seen"
    for most keys without searching the runs (a binary search in a large run misses the cache
    at every step: what made ten million keys slow)."""

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []
        self.n = 0
        self._bitmap(1 << 20)

    def __len__(self) -> int:
        return self.n

    def _bitmap(self, bits: int) -> None:
        self.bits = np.zeros(bits // 8, dtype=np.uint8)
        self.shift = np.uint64(64 - (bits.bit_length() - 1))

    def _where(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        top = hashes.view(np.uint64) >> self.shift
        return (top >> np.uint64(3)).astype(np.intp), np.left_shift(np.uint8(1), (top & np.uint64(7)).astype(np.uint8))

    def _mark(self, hashes: np.ndarray) -> None:
        byte, bit = self._where(hashes)
        np.bitwise_or.at(self.bits, byte, bit)

    def first_rows(self, hashes: np.ndarray) -> np.ndarray:
        """For each hash, the row where it was first seen, or -1."""
        found = np.full(len(hashes), -1, dtype=np.int64)
        if not self.runs or not len(hashes):
            return found
        byte, bit = self._where(hashes)
        maybe = np.flatnonzero(self.bits[byte] & bit)  # the others were surely never added
        if not len(maybe):
            return found
        order = maybe[np.argsort(hashes[maybe])]
        ordered = hashes[order]  # searched in order: each search starts where the last ended
        for h, r in self.runs:
            idx = np.minimum(np.searchsorted(h, ordered), len(h) - 1)
            hit = h[idx] == ordered
            found[order[hit]] = r[idx[hit]]
        return found

    def add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        if not len(hashes):
            return
        order = np.argsort(hashes)
        self.runs.append((hashes[order], rows[order]))
        self.n += len(hashes)
        if self.n * 16 > len(self.bits) * 8:  # ~1 bit in 16 set at most: few false "maybe"
            self._bitmap(1 << (self.n * 32 - 1).bit_length())
            for h, _r in self.runs:
                self._mark(h)
        else:
            self._mark(hashes)
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (h1, r1), (h2, r2) = self.runs[-2], self.runs[-1]
            self.runs[-2:] = [merge(h1, r1, h2, r2)]


def merge(h1: np.ndarray, r1: np.ndarray, h2: np.ndarray, r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs (no hash in both) as one, in linear time and memory."""
    at = np.searchsorted(h1, h2) + np.arange(len(h2))  # where each of the second run goes
    first = np.ones(len(h1) + len(h2), dtype=bool)
    first[at] = False
    h, r = np.empty(len(first), dtype=np.int64), np.empty(len(first), dtype=np.int64)
    h[at], r[at] = h2, r2
    h[first], r[first] = h1, r1
    return h, r


class Dedup:
    """The state RowCheck keeps between rows: the chunk being filled and the keys written."""

    def __init__(self) -> None:
        self.chunk: dict[int, int] = {}  # key hash -> row, the chunk being filled (RowCheck.chunk_keys)
        self.earlier = KeyRuns()  # keys of the chunks already flushed

    def take(self, hashes: list[int], row_nos: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
        """The good rows of a batch (key hashes and row numbers, in row order): a mask of the rows
        to write, and the rejected ones as (index, row, first row)."""
        chunk_size = _rows.CHUNK
        m = len(hashes)
        h = np.fromiter(hashes, dtype=np.int64, count=m)
        before = self.earlier.first_rows(h)  # where an already flushed chunk wrote each key
        distinct = set(hashes)
        if len(distinct) == m and self.chunk.keys().isdisjoint(distinct):
            # No key twice among the chunk and the batch: every row enters the chunks in turn,
            # and a flush drops exactly the rows whose key was flushed before the batch.
            keep = before < 0
            rejected = [(int(i), int(row_nos[i]), int(before[i])) for i in np.flatnonzero(~keep)]
            head = min(m, chunk_size - len(self.chunk))  # the rows that fill the chunk begun
            self.chunk.update(zip(hashes[:head], row_nos[:head].tolist(), strict=True))
            if len(self.chunk) >= chunk_size:
                self.flush(collect=False)
            full = head + (m - head) // chunk_size * chunk_size  # then whole chunks at once
            new = keep[head:full]
            self.earlier.add(h[head:full][new], row_nos[head:full][new])
            self.chunk.update(zip(hashes[full:], row_nos[full:].tolist(), strict=True))  # a chunk begun
            return keep, rejected
        return self._one_by_one(hashes, row_nos, before)

    def _one_by_one(
        self, hashes: list[int], row_nos: np.ndarray, before: np.ndarray
    ) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
        chunk_size = _rows.CHUNK
        keep = np.ones(len(hashes), dtype=bool)
        rejected: list[tuple[int, int, int]] = []
        flushed_now: dict[int, int] = {}  # keys flushed during this batch (``before`` misses them)
        before_l = before.tolist()
        for i, (k, row) in enumerate(zip(hashes, row_nos.tolist(), strict=True)):
            first = self.chunk.setdefault(k, row)
            if first != row:
                keep[i] = False
                rejected.append((i, row, first))
                continue
            earlier = flushed_now.get(k, before_l[i])
            if earlier >= 0:  # dropped when its chunk is flushed
                keep[i] = False
                rejected.append((i, row, earlier))
            if len(self.chunk) >= chunk_size:
                flushed_now.update(self.flush())
        return keep, rejected

    def flush(self, *, collect: bool = True) -> dict[int, int]:
        """The chunk's new keys join the earlier ones (those an earlier chunk had are dropped);
        returns them (when ``collect``)."""
        hashes = np.fromiter(self.chunk.keys(), dtype=np.int64, count=len(self.chunk))
        rows = np.fromiter(self.chunk.values(), dtype=np.int64, count=len(self.chunk))
        new = self.earlier.first_rows(hashes) < 0
        self.earlier.add(hashes[new], rows[new])
        self.chunk.clear()
        return dict(zip(hashes[new].tolist(), rows[new].tolist(), strict=True)) if collect else {}
