"""Reading a raw file: CSV, XLSX or JSON, streamed as ``(row number, cells)``.

CSV in UTF-8 (with or without BOM), GB18030/GBK (detected with charset-normalizer), Big5 or
UTF-16, streamed row by row; XLSX through openpyxl in read-only mode (first sheet unless one is
named), guarded against zip bombs; JSON records (a platform's API) streamed with ijson. Row
numbers are the ones the clerk sees in Excel (header = row 1); JSON records are numbered by
their index."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loaders.cells import is_empty
from loaders.messages import UnusableFile
from portal.i18n import t


@dataclass
class Table:
    """A file opened for reading: its header cells and an iterator over (excel_row, cells)."""

    header: list[Any]
    header_row: int
    rows: Iterator[tuple[int, list[Any]]]
    encoding: str | None = None
    close: Callable[[], None] = lambda: None
    on_error: Callable[[], UnusableFile] | None = None  # turns a decode error into UnusableFile
    head: list[tuple[int, list[Any]]] = field(default_factory=list)  # first non-blank rows
    row_label: str = "col_row"  # how the lists name a row's number (JSON: the record's index)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


_CJK_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936", "euc_cn", "big5", "big5hkscs", "cp950"}


def detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not), UTF-16 (BOM), else what charset-normalizer says, with every
    Chinese code page read as GB18030 (the superset Excel on Chinese Windows writes)."""
    with open(path, "rb") as f:
        head = f.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0
        try:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
                offset += len(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError as exc:
            bad_at = offset + exc.start
        # Sample around the first non-UTF-8 byte (the header is often plain ASCII).
        f.seek(0)
        sample = f.read(256 * 1024)
        if bad_at > len(sample) - 4096:
            f.seek(max(0, bad_at - 64 * 1024))
            sample = f.read(256 * 1024)
    from charset_normalizer import from_bytes

    # Only what staff's tools write: GB18030 (and its subsets GBK/GB2312), Big5 from Taiwan
    # or Hong Kong partners. Anything else is reported as unreadable rather than guessed.
    best = from_bytes(sample, cp_isolation=["gb18030", "gbk", "gb2312", "big5"]).best()
    if best is None:
        raise LookupError("undetectable")
    enc = best.encoding.lower().replace("-", "_")
    return "big5" if enc.startswith("big5") else "gb18030"


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "，")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def open_csv(path: Path, file_label: str, lang: str) -> Table:
    try:
        encoding = detect_encoding(path)
    except LookupError:
        raise UnusableFile(t("loader.unreadable_encoding", lang, file=file_label)) from None
    raw = open(path, "rb")  # noqa: SIM115 - closed by Table.close
    text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError:
        text.close()
        raise UnusableFile(t("loader.decode_error", lang, file=file_label, row=1, encoding=encoding)) from None
    delimiter = _sniff_delimiter(first)
    text.seek(0)
    reader = csv.reader(text, delimiter=delimiter)

    def on_error() -> UnusableFile:
        return UnusableFile(t("loader.decode_error", lang, file=file_label, row=reader.line_num + 1, encoding=encoding))

    return _with_header(enumerate(reader, 1), text.close, encoding, on_error)


# What a staff workbook can hold, checked before and while it is read: Excel's own sheet size,
# a total far above any programme's year, and the packing of ordinary XLSX (XML compresses
# 5-20 times; a part packed 200 times over is a zip bomb: one 400 MB cell in a 412 KB file)
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CELL = 32_767  # Excel's own limit on a cell's characters
XLSX_MAX_UNPACKED = 2 * 1024**3
XLSX_MAX_RATIO = 200
XLSX_RATIO_FROM = 16 * 1024**2  # small parts pack as they like


def _check_xlsx_size(path: Path, file_label: str, lang: str) -> None:
    """Refuse a workbook whose parts would unpack to more than a workbook can be, before
    openpyxl unpacks anything (it would hold a whole cell, however large, in memory)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except Exception:  # not a zip, or one zipfile cannot read: load_workbook says so in its words
        return
    unpacked = sum(p.file_size for p in parts)
    bomb = any(p.file_size > XLSX_RATIO_FROM and p.file_size > XLSX_MAX_RATIO * max(p.compress_size, 1) for p in parts)
    if unpacked > XLSX_MAX_UNPACKED or bomb:
        ratio = unpacked / max(path.stat().st_size, 1)
        size = f"{unpacked / 1024**2:,.0f} MB"
        raise UnusableFile(t("loader.xlsx_too_large", lang, file=file_label, size=size, ratio=f"{ratio:,.0f}"))


def open_xlsx(path: Path, file_label: str, lang: str, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook

    _check_xlsx_size(path, file_label, lang)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnusableFile(t("loader.bad_xlsx", lang, file=file_label)) from exc
    except Exception as exc:  # zlib.error, XML ParseError, NotImplementedError (zip version): a broken file
        raise UnusableFile(t("loader.bad_xlsx", lang, file=file_label)) from exc
    if sheet is not None:
        if sheet not in wb.sheetnames:
            names = "、".join(wb.sheetnames)
            wb.close()
            raise UnusableFile(t("loader.sheet_not_found", lang, file=file_label, sheet=sheet, sheets=names))
        ws = wb[sheet]
    elif wb.worksheets:
        ws = wb.worksheets[0]
    else:  # a workbook part naming no sheet at all
        wb.close()
        raise UnusableFile(t("loader.bad_xlsx", lang, file=file_label))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for n, cells in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                if n > XLSX_MAX_ROWS:  # no Excel writes this: a forged sheet of empty rows
                    raise UnusableFile(
                        t("loader.xlsx_too_many_rows", lang, file=file_label, limit=f"{XLSX_MAX_ROWS:,}")
                    )
                if any(c.__class__ is str and len(c) > XLSX_MAX_CELL for c in cells):
                    limit = f"{XLSX_MAX_CELL:,}"
                    raise UnusableFile(t("loader.xlsx_cell_too_long", lang, file=file_label, row=n, limit=limit))
                yield n, list(cells)
        except UnusableFile:
            raise
        except Exception as exc:  # a truncated or corrupt sheet is found while streaming it
            raise UnusableFile(t("loader.bad_xlsx", lang, file=file_label)) from exc

    return _with_header(rows(), wb.close, None)


HEADER_SEARCH = 10  # title rows above the header ("2023年捐赠明细") are skipped


def _with_header(
    it: Iterator[tuple[int, list[Any]]],
    close: Callable[[], None],
    encoding,
    on_error: Callable[[], UnusableFile] | None = None,
) -> Table:
    """Buffers the first non-blank rows: the header is the first of them that names the
    kind's required columns (see ``choose_header``)."""
    head: list[tuple[int, list[Any]]] = []
    try:
        for n, cells in it:
            if any(not is_empty(c) for c in cells):
                head.append((n, list(cells)))
                if len(head) >= HEADER_SEARCH:
                    break
    except (UnicodeDecodeError, csv.Error):
        close()
        if on_error is None:
            raise
        raise on_error() from None
    except UnusableFile:
        close()
        raise
    if not head:
        return Table(header=[], header_row=0, rows=iter(()), encoding=encoding, close=close, on_error=on_error)
    table = Table(header=head[0][1], header_row=head[0][0], rows=it, encoding=encoding, close=close, on_error=on_error)
    table.head = head
    return table


def open_table(path: Path, file_label: str, lang: str, sheet: str | None = None) -> Table:
    if not path.is_file():
        raise UnusableFile(t("loader.file_not_found", lang, file=file_label))
    with open(path, "rb") as f:
        magic = f.read(8)
    suffix = path.suffix.lower()
    if suffix == ".xls" or magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnusableFile(t("loader.old_xls", lang, file=file_label))
    if suffix in (".xlsx", ".xlsm") or magic.startswith(b"PK\x03\x04"):
        return open_xlsx(path, file_label, lang, sheet)
    if suffix in JSON_SUFFIXES or (suffix not in (".csv", ".txt", ".tsv") and _json_start(path) is not None):
        return open_json(path, file_label, lang)
    return open_csv(path, file_label, lang)


# --------------------------------------------------------------------------- JSON
# A fundraising platform's API gives its orders as JSON: an array of records, an object with
# the array under ``data`` (the API's own envelope) or JSON lines. Streamed with ijson, so a
# million orders never sit in memory at once.
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
JSON_ENVELOPE_KEY = "data"
JSON_HEADER_RECORDS = 100  # the header is every key of the first records (API records are uniform)


def _json_start(path: Path) -> bytes | None:
    """The first character of a JSON text (after a BOM and blanks), when it opens one."""
    with open(path, "rb") as f:
        head = f.read(4096)
    head = head.removeprefix(codecs.BOM_UTF8).lstrip()
    return head[:1] if head[:1] in (b"[", b"{") else None


def _skip_bom(f) -> None:
    if f.peek(3)[:3] == codecs.BOM_UTF8:
        f.read(3)


def _json_prefix(path: Path, start: bytes) -> tuple[str, bool]:
    """The ijson prefix of the records and whether the file holds several top-level values:
    ``item`` (an array), ``data.item`` (the envelope) or ``""`` over JSON lines."""
    import ijson

    if start == b"[":
        return "item", False
    with open(path, "rb") as f:
        _skip_bom(f)
        for prefix, event, _value in ijson.parse(f, multiple_values=True):
            if prefix == JSON_ENVELOPE_KEY and event == "start_array":
                return f"{JSON_ENVELOPE_KEY}.item", False
            if prefix == "" and event == "end_map":
                break  # the first object ended without a ``data`` array: one record a line
    return "", True


def open_json(path: Path, file_label: str, lang: str) -> Table:
    """Records as rows numbered by their index (from 0); the header is every key of the first
    ``JSON_HEADER_RECORDS`` records, in the order met."""
    import ijson

    start = _json_start(path)
    if start is None:
        raise UnusableFile(t("loader.bad_json", lang, file=file_label, record=0))
    f = open(path, "rb")  # noqa: SIM115 - closed by Table.close
    head: list[Any] = []

    def broken() -> UnusableFile:  # the record being read when the JSON broke
        return UnusableFile(t("loader.bad_json", lang, file=file_label, record=len(head)))

    try:
        prefix, multiple = _json_prefix(path, start)
        _skip_bom(f)
        records = ijson.items(f, prefix, multiple_values=multiple)
        for record in records:
            head.append(record)
            if len(head) >= JSON_HEADER_RECORDS:
                break
    except ijson.JSONError:
        f.close()
        raise broken() from None
    except BaseException:
        f.close()
        raise
    if any(not isinstance(r, dict) for r in head):
        f.close()
        raise UnusableFile(t("loader.json_not_records", lang, file=file_label))
    header = list(dict.fromkeys(k for r in head for k in r))
    at = {k: i for i, k in enumerate(header)}
    width = len(header)

    def cells(record: Any) -> list[Any]:
        if not isinstance(record, dict):
            raise UnusableFile(t("loader.json_not_records", lang, file=file_label))
        row: list[Any] = [None] * width
        for k, v in record.items():
            i = at.get(k)
            if i is not None:
                row[i] = v
        return row

    def rows() -> Iterator[tuple[int, list[Any]]]:
        yield from ((i, cells(r)) for i, r in enumerate(head))
        n = len(head)
        try:
            for record in records:
                yield n, cells(record)
                n += 1
        except ijson.JSONError:
            raise UnusableFile(t("loader.bad_json", lang, file=file_label, record=n)) from None

    table = Table(header=header, header_row=0, rows=rows(), close=f.close, row_label="col_record")
    table.head = [(-1, header)] if header else []
    return table


def read_head(path: Path, sheet: str | None = None, lang: str = "zh") -> list[list[Any]]:
    """The first non-blank rows of a file (header candidates)."""
    table = open_table(path, path.name, lang, sheet)
    try:
        return [cells for _n, cells in table.head]
    finally:
        table.close()
