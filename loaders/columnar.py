"""The column-at-a-time path of a donations CSV: read in batches by Arrow's CSV reader, the
common rows checked a column at a time (loaders/columnar_donations.py), the rest through the
row function, keys repeated in the file decided as RowCheck decides them (loaders/dedup.py), and
each batch written by one bulk statement (``ChunkWriter.bulk``). It loads, rejects and numbers
exactly the rows the row path (loaders/rows.py) does; the equivalence test
(tests/test_loaders_columnar.py) runs both on the same files.

A file is read this way only when Arrow reads it as Python's ``csv`` module does and each
record is one line (``plan``): a plain donations file (not a platform's export) in UTF-8,
GB18030 or Big5, delimited by a comma, tab or semicolon, its header found by the row path on a
line of its own, no NUL byte, no line ending in a lone CR and no empty line among the data.
Otherwise, or when a batch turns out not to be (a row of another width, a quoted line break,
a cell longer than ``csv`` reads, a byte the encoding refuses), the row path loads the file
(``Fallback``: what was written is rolled back to a savepoint first)."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loaders.cells import is_empty
from loaders.columnar_donations import DonationColumns
from loaders.dedup import Dedup
from loaders.donations import SPEC as DONATIONS
from loaders.headers import HeaderMap, map_header
from loaders.kinds import Context, KindSpec
from loaders.messages import NotPaid, RowReject, UnusableFile
from loaders.reading import Table, _sniff_delimiter
from loaders.rows import RowCheck
from loaders.store import Resolved

ENABLED = True  # tests turn it off to run the row path on the same files
ARROW_ENCODINGS = {"utf-8": "utf8", "utf-8-sig": "utf8", "gb18030": "gb18030", "big5": "big5"}
BLOCK_BYTES = 2 << 20  # bytes of CSV Arrow parses at a time (it reads up to 32 blocks ahead)
BATCH_ROWS = 200_000  # rows checked and written at a time (blocks joined)
SCAN_BYTES = 8 << 20
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")  # a line as TextIOWrapper(newline="") reads it
_LINE_END = re.compile(r"\r\n|\r|\n")


class Fallback(Exception):
    """The file is not simple enough for this path: the row path loads it."""


@dataclass(frozen=True)
class Plan:
    path: Path
    offset: int  # the first byte after the header's line
    first_row: int  # the row number of the first data line
    width: int  # cells per row (the header's)
    delimiter: str
    encoding: str  # Arrow's name
    quotes: bool  # the data holds a '"' (a quoted cell may hold a line break)


def plan(spec: KindSpec, table: Table, hmap: HeaderMap, path: Path, file_label: str, lang: str) -> Plan | None:
    """How to read the file a column at a time, or None when the row path must."""
    if not ENABLED or spec is not DONATIONS or table.row_label != "col_row":
        return None
    encoding = ARROW_ENCODINGS.get(table.encoding or "")
    header = header_of(spec, table, file_label, lang)
    if encoding is None or header is None:
        return None
    header_row, header_cells = header
    with open(path, "rb") as f:
        lines = [f.readline() for _ in range(header_row)]
    if not lines[-1].endswith(b"\n"):
        return None  # no data line after the header
    try:
        text = b"".join(lines).decode(table.encoding)
    except UnicodeDecodeError:
        return None
    delimiter = _sniff_delimiter(_LINE.match(text).group())  # as open_csv: the file's first line
    if delimiter not in (",", "\t", ";"):
        return None
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        return None
    if len(records) != header_row or records[-1] != header_cells or len(_LINE_END.findall(text)) != header_row:
        return None  # a quoted line break or a lone CR above the data: lines are not records
    offset = sum(len(line) for line in lines)
    quotes = scan(path, offset)
    if quotes is None:
        return None
    return Plan(path, offset, header_row + 1, len(header_cells), delimiter, encoding, quotes)


def header_of(spec: KindSpec, table: Table, file_label: str, lang: str) -> tuple[int, list] | None:
    """The row number and cells of the header the row path chose (``choose_header``: the first
    usable of the first rows)."""
    for n, cells in table.head:
        try:
            map_header(spec, cells, file_label, lang)
        except UnusableFile:
            continue
        return n, cells
    return None


def scan(path: Path, offset: int) -> bool | None:
    """Whether the data holds a quote; None when it holds a NUL byte, a lone CR or an empty line
    before its end (Arrow skips empty lines, Python's csv counts them)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(offset, size - 65536))
        tail = f.read()
        end = size - (len(tail) - len(tail.rstrip(b"\r\n")))  # empty lines at the end are no rows
        f.seek(offset)
        quotes = False
        before = b"\n"
        at = offset
        while at < end:
            data = f.read(min(SCAN_BYTES, end - at))
            if data.endswith(b"\r"):
                data += f.read(1)
            at += len(data)
            seam = before + data[:2]  # an empty line may straddle two reads
            if b"\0" in data or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
                return None
            if b"\n\n" in data or b"\n\r\n" in data or b"\n\n" in seam or b"\n\r\n" in seam:
                return None
            quotes = quotes or b'"' in data
            before = data[-2:]
    return quotes


def batches(p: Plan) -> Iterator:
    """The file's data rows, a batch at a time, every cell as the text written."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(p.width)]
    read = pacsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES, encoding=p.encoding)
    parse = pacsv.ParseOptions(delimiter=p.delimiter, newlines_in_values=p.quotes, ignore_empty_lines=True)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
    )
    source = pa.OSFile(str(p.path))
    try:
        source.seek(p.offset)
        try:
            reader = pacsv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
            blocks: list = []
            rows = 0
            while True:
                try:
                    block = reader.read_next_batch()
                except StopIteration:
                    break
                if not block.num_rows:
                    continue
                blocks.append(block)
                rows += block.num_rows
                if rows >= BATCH_ROWS:
                    yield joined(blocks)
                    blocks, rows = [], 0
            if blocks:
                yield joined(blocks)
        except (pa.ArrowException, UnicodeDecodeError, LookupError) as exc:
            raise Fallback(type(exc).__name__) from None
    finally:
        source.close()


def joined(blocks: list):
    """Arrow's blocks as one batch."""
    if len(blocks) == 1:
        return blocks[0]
    import pyarrow as pa

    return pa.Table.from_batches(blocks).combine_chunks().to_batches()[0]


FIELD_LIMIT = csv.field_size_limit()  # a longer cell stops Python's csv (the row path says so)


def check_cells(batch, quotes: bool) -> None:
    """Fallback when a batch holds what the row path reads otherwise."""
    import pyarrow.compute as pc

    for col in batch.columns:
        if len(col) and pc.max(pc.binary_length(col)).as_py() > FIELD_LIMIT:
            raise Fallback("long cell")
        if quotes and pc.any(pc.match_substring_regex(col, "[\r\n]")).as_py():
            raise Fallback("line break in a cell")


class ColumnLoad:
    """One file's rows through the column-at-a-time path, into ``check``'s writer and lists."""

    def __init__(self, p: Plan, check: RowCheck, ctx: Context, hmap: HeaderMap):
        self.plan = p
        self.check = check
        self.columns = DonationColumns(ctx, hmap)
        self.dedup = Dedup()
        self.key_pos = hmap.positions[check.key_column]
        self.key_label = check.labels[check.key_column]
        self.pad = [None] * (check.width - p.width)

    def run(self) -> tuple[int, int]:
        """(rows, loaded), as RowCheck.run counts them."""
        n_rows = loaded = 0
        row_no = self.plan.first_row
        for batch in batches(self.plan):
            check_cells(batch, self.plan.quotes)
            n, kept = self.one_batch(batch, row_no)
            n_rows += n
            loaded += kept
            row_no += batch.num_rows
        return n_rows, loaded

    def residue(self, batch, index: np.ndarray, first_row: int):
        """The row function over the rows not taken a column at a time: (good rows as (row,
        output, key cell), rejects as (row, RowReject), rows counted)."""
        check, pad = self.check, self.pad
        cols = [c.to_pylist() for c in batch.take(index).columns]
        good, rejected, counted = [], [], 0
        for i, cells in zip(index.tolist(), zip(*cols, strict=True), strict=True):
            row_no = first_row + i
            cells = [*cells, *pad]
            if not any(cells):
                continue
            try:
                out = check.row_fn(cells)
            except NotPaid as skipped:
                check.unpaid(row_no, skipped)
                continue
            except RowReject as r:
                if all(is_empty(c) for c in cells):
                    continue
                counted += 1
                rejected.append((row_no, r))
                continue
            counted += 1
            good.append((row_no, out, cells[self.key_pos]))
        return good, rejected, counted

    def one_batch(self, batch, first_row: int) -> tuple[int, int]:
        self.columns.donors.forget_if_full()
        fast = self.columns.split(batch)
        good, rejected, counted = self.residue(batch, fast.residue, first_row)
        nf = len(fast.index)
        fast_rows = fast.index.astype(np.int64) + first_row
        keys = fast.receipt
        if good:  # the good rows in row order, for the duplicate rule
            rows = np.concatenate([fast_rows, np.array([g[0] for g in good], dtype=np.int64)])
            order = np.argsort(rows, kind="stable")
            every = [*keys, *(g[1][0] for g in good)]
            keys = [every[i] for i in order.tolist()]
            rows = rows[order]
        else:
            order, rows = None, fast_rows
        keep, dups = self.dedup.take(list(map(hash, keys)), rows)
        for i, row, first in dups:
            j = int(order[i]) if order is not None else i
            cell = fast.receipt[j] if j < nf else good[j - nf][2]
            r = RowReject(self.check.key_column, "duplicate_key", cell, label=self.key_label, first=first)
            rejected.append((row, r))
        rejected.sort(key=lambda x: x[0])
        for row, r in rejected:
            self.check.reject(row, r)
        if order is not None:
            in_place = np.empty_like(keep)
            in_place[order] = keep
            keep = in_place
        return nf + counted, self.write(fast, good, keep)

    def write(self, fast, good: list, keep: np.ndarray) -> int:
        """Writes the kept rows (donor pseudonyms turned into ``person.id``); returns how many."""
        nf = len(fast.index)
        cols = [
            fast.receipt,
            fast.programme,
            fast.donated_on,
            fast.amount_fen,
            None,
            fast.channel,
            fast.platform,
            fast.donor_type,
        ]
        keep_fast = keep[:nf]
        donor = fast.donor
        if not keep_fast.all():
            mask_list = keep_fast.tolist()
            cols = [None if c is None else list(itertools.compress(c, mask_list)) for c in cols]
            donor = donor[keep_fast]
        kept_good = [g[1] for g, k in zip(good, keep[nf:].tolist(), strict=True) if k]
        donors = self.columns.donors
        used = np.unique(donor[donor >= 0])
        unknown = used[donors.ids[used] < 0]  # donors of kept rows without a person.id yet
        wanted = {donors.pseudonyms[i] for i in unknown.tolist()}
        wanted.update(g[8] for g in kept_good if g[8] is not None)
        ids = self.check.writer.persons.resolve(wanted) if wanted else {}
        donors.ids[unknown] = [ids[donors.pseudonyms[i]] for i in unknown.tolist()]
        person = np.full(len(donor), None, dtype=object)
        has = donor >= 0
        person[has] = donors.ids[donor[has]]  # Python ints in an object array
        cols.append(person.tolist())
        cols[4] = itertools.repeat(False, len(cols[0]))
        for g in kept_good:
            if g[8] is not None:
                g[8] = ids[g[8]]
        self.check.writer.put(Resolved(itertools.chain(zip(*cols, strict=True), kept_good)))
        return len(cols[0]) + len(kept_good)
