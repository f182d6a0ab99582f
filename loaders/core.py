"""The machinery every loader shares: read -> rename strictly -> map -> validate -> write.

Reading
    CSV in UTF-8 (with or without BOM), GB18030/GBK (detected with charset-normalizer) or
    UTF-16, streamed row by row; XLSX through openpyxl in read-only mode (first sheet unless
    one is named). Row numbers are the ones the clerk sees in Excel (header = row 1).
Headers
    canonical, Chinese or English names; NFKC (full-width brackets), case, spaces, ``*`` and
    punctuation are ignored, and a trailing bracketed unit such as ``（元）`` is dropped. Two
    columns that mean the same thing fail the file; unknown columns are ignored and reported.
Parsers
    dates, amounts (exact integer fen), GB 11643 ID numbers, phones, times, yes/no.
Writing
    one transaction per file on the raw DBAPI connection (``executemany`` in chunks; SQLite
    ``BEGIN IMMEDIATE``), upserts by key that touch a row only when a value differs, pseudonyms
    turned into integer ``person.id`` surrogates, a ``batch`` row per load, the key fingerprint
    in ``meta``. Bad rows go to ``FILE.rejects.csv`` with personal data masked.

Nothing personal is ever logged or put into an exception message: messages name the file,
the column and the reason; values appear only masked, and only in the rejects file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import io
import itertools
import logging
import operator
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from portal.pseudonym import fast_pseudonymiser, fingerprint
from portal.spreadsheet import escape
from portal.vocab import vocabulary

log = logging.getLogger("loaders")

MESSAGES_FILE = Path(__file__).with_name("messages.toml")
CHUNK = 20_000  # rows per executemany
SQLITE_CACHE_KIB = -65536  # page cache during a load (64 MiB, bounded): big files insert faster


# --------------------------------------------------------------------------- messages
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


# --------------------------------------------------------------------------- columns
@dataclass(frozen=True)
class Column:
    name: str  # canonical
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()
    required: bool = False
    pii: str | None = None  # "id", "phone", "name", "text": masked in rejects, never stored

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.zh, *self.en)


_TRAILING_BRACKET = re.compile(r"[(\[{【〔][^()\[\]{}【】〔〕]*[)\]}】〕]\s*$")


def norm_header(text: Any) -> str:
    """Fold a header: NFKC (full-width to half-width), case, and keep letters/digits only."""
    s = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return "".join(ch for ch in s if ch.isalnum())


def norm_header_stripped(text: Any) -> str:
    """The header without a trailing bracketed unit, e.g. ``金额（元）`` -> ``金额``."""
    s = unicodedata.normalize("NFKC", str(text or "")).strip()
    s = _TRAILING_BRACKET.sub("", s)
    return norm_header(s)


def header_index(columns: Sequence[Column]) -> dict[str, str]:
    index: dict[str, str] = {}
    for col in columns:
        for spelling in col.spellings:
            for key in (norm_header(spelling), norm_header_stripped(spelling)):
                if key:
                    index.setdefault(key, col.name)
    return index


def match_header(raw: Any, index: dict[str, str]) -> str | None:
    full = norm_header(raw)
    if not full:
        return None
    if full in index:
        return index[full]
    return index.get(norm_header_stripped(raw))


# --------------------------------------------------------------------------- masking
# nine or more digits, single spaces or hyphens allowed between them: an ID number (18, the
# last may be X), a phone (11, maybe +86), a bank account (16-19) as clerks type them
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


# --------------------------------------------------------------------------- cell helpers
EMPTY_TOKENS = frozenset({"", "-", "--", "—", "——", "/", "无", "null", "none", "n/a", "na", "nan"})


def cell_text(value: Any) -> str:
    """A cell as text: XLSX numbers without a spurious ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def is_empty(value: Any) -> bool:
    if value is None or value == "":
        return True
    if value.__class__ is str:
        s = value.strip()
        return not s or (len(s) <= 4 and s.casefold() in EMPTY_TOKENS)
    return False


# --------------------------------------------------------------------------- dates
EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_SEP = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?)?\s*$"
)
_DATE_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
MIN_YEAR, MAX_YEAR = 1900, 2100


def excel_serial_date(serial: float) -> dt.date:
    if not 1 <= serial < 2958466:  # 9999-12-31
        raise ValueError(serial)
    if serial < 61:  # Excel's phantom 1900-02-29
        serial += 1
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_date(value: Any) -> dt.date:
    """A date from a cell: ``2023-12-31``, ``2023/12/31``, ``2023.12.31``, ``20231231``,
    ``2023年12月31日`` (a trailing time is allowed), a real date cell or an Excel serial.
    Raises ValueError."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            return parse_date(str(int(value)))
        return excel_serial_date(float(value))
    s = unicodedata.normalize("NFKC", str(value))
    m = _DATE_SEP.match(s) or _DATE_COMPACT.match(s)
    if not m:
        raise ValueError(value)
    y, mo, d = (int(g) for g in m.groups())
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise ValueError(value)
    return dt.date(y, mo, d)


class DateCells:
    """Cached ``cell -> ISO date`` (a file repeats the same few hundred dates)."""

    def __init__(self) -> None:
        self.cache: dict[Any, str] = {}  # only dates not in the future: safe for any column
        self.today = dt.date.today().isoformat()

    def __call__(self, column: str, value: Any, *, required: bool = True, past: bool = True) -> str | None:
        try:
            return self.cache[value]
        except (KeyError, TypeError):
            pass
        if is_empty(value):
            if required:
                raise RowReject(column, "required_missing", value)
            return None
        try:
            iso = parse_date(value).isoformat()
        except (ValueError, OverflowError):
            raise RowReject(column, "bad_date", value) from None
        if iso > self.today:
            if past:
                raise RowReject(column, "future_date", value)
            return iso
        if len(self.cache) < 100_000:
            with contextlib.suppress(TypeError):
                self.cache[value] = iso
        return iso


# --------------------------------------------------------------------------- amounts
_AMOUNT = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?$")
# a currency sign, code or word around an amount (staff files, and donors on the receipt page)
CURRENCY_MARKS = re.compile(r"^(?:¥|RMB|CNY|人民币)|元$|RMB$|CNY$", re.IGNORECASE)
_FEN = Decimal("0.01")


def parse_amount(value: Any) -> int:
    """Yuan -> exact integer fen. ``1234.5``, ``1,234.50``, ``¥1,234.50``, ``￥1234.50``,
    ``1234.50元``, negatives (``-5``, ``(5.00)``); at most two decimals. XLSX numbers are
    taken at their shortest decimal form, never through float arithmetic.
    Raises ValueError (``too_many_decimals`` as its first argument when that is why)."""
    if isinstance(value, bool):
        raise ValueError("bad_amount")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("bad_amount")
        d = Decimal(repr(value))
        q = d.quantize(_FEN)
        if abs(d - q) > Decimal("0.000001"):
            raise ValueError("too_many_decimals")
        return int(q * 100)
    if isinstance(value, Decimal):
        return parse_amount(str(value))
    s = unicodedata.normalize("NFKC", str(value)).strip()
    if s.startswith("(") and s.endswith(")"):  # accountants' negative
        s = "-" + s[1:-1]
    s = s.replace(",", "").replace(" ", "").replace("\u2212", "-")
    sign = ""
    if s[:1] in "+-" and s:
        sign, s = s[0], s[1:]
    for _ in range(2):
        s = CURRENCY_MARKS.sub("", s).strip()
    m = _AMOUNT.match(sign + s) if s and s[:1] not in "+-" else None
    if not m or not (m.group(2) or m.group(3)):
        raise ValueError("bad_amount")
    whole, frac = m.group(2) or "0", m.group(3) or ""
    if len(frac) > 2:
        if frac[2:].strip("0"):
            raise ValueError("too_many_decimals")
        frac = frac[:2]
    if len(whole) > 13:
        raise ValueError("bad_amount")
    fen = int(whole) * 100 + int(frac.ljust(2, "0") or 0)
    return -fen if m.group(1) == "-" else fen


def amount_cell(column: str, value: Any) -> int:
    if is_empty(value):
        raise RowReject(column, "required_missing", value)
    try:
        return parse_amount(value)
    except ValueError as exc:
        reason = exc.args[0] if exc.args and exc.args[0] == "too_many_decimals" else "bad_amount"
        raise RowReject(column, reason, value) from None


# --------------------------------------------------------------------------- ID numbers
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(map(operator.mul, map(int, first17), _ID_WEIGHTS)) % 11]


@dataclass(frozen=True)
class IdInfo:
    id_no: str  # normalised (upper-case, no spaces): only ever fed to the pseudonymiser
    birth_date: dt.date
    gender: str  # "male" / "female"


def parse_id_no(value: Any) -> IdInfo:
    """A GB 11643 resident ID number: 18 characters, checksum, a valid birth date not in the
    future. Raises ValueError with a messages.toml reason key."""
    s = unicodedata.normalize("NFKC", cell_text(value))
    s = "".join(s.split()).upper()
    if len(s) != 18:
        raise ValueError("bad_id_length")
    if not (s[:17].isascii() and s[:17].isdigit() and (s[17] == "X" or s[17].isdigit())):
        raise ValueError("bad_id_chars")
    if id_check_char(s[:17]) != s[17]:
        raise ValueError("bad_id_checksum")
    try:
        birth = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise ValueError("bad_id_birth") from None
    if birth.year < MIN_YEAR or birth > dt.date.today():
        raise ValueError("bad_id_birth")
    return IdInfo(s, birth, "male" if int(s[16]) % 2 else "female")


class IdCells:
    """Cached ``cell -> (IdInfo, pseudonym)``: registers and check-in logs repeat the same
    people. Bounded; a bad number is never cached (its row is rejected every time)."""

    def __init__(self, pseudonym: Callable[[str], str]):
        self.pseudonym = pseudonym
        self.cache: dict[Any, tuple[IdInfo, str]] = {}

    def __call__(self, column: str, value: Any, *, required: bool = True) -> tuple[IdInfo, str] | None:
        found = self.cache.get(value)
        if found is not None:
            return found
        info = id_cell(column, value, required=required)
        if info is None:
            return None
        found = (info, self.pseudonym(info.id_no))
        if len(self.cache) > 200_000:
            self.cache.clear()
        self.cache[value] = found
        return found


def id_cell(column: str, value: Any, *, required: bool = True) -> IdInfo | None:
    if is_empty(value):
        if required:
            raise RowReject(column, "required_missing", value)
        return None
    if isinstance(value, float):  # Excel kept only 15 significant digits: the number is lost
        raise RowReject(column, "id_as_number", value)
    try:
        return parse_id_no(value)
    except ValueError as exc:
        raise RowReject(column, exc.args[0], value) from None


def phone_cell(column: str, value: Any) -> str | None:
    """Normalised phone digits, or None when empty. Raises RowReject when implausible."""
    from portal.pseudonym import normalise_phone

    if is_empty(value):
        return None
    digits = normalise_phone(cell_text(value))
    if not 7 <= len(digits) <= 15:
        raise RowReject(column, "bad_phone", value)
    return digits


def name_text(value: Any) -> str:
    """A name as fed to a pseudonym: NFKC, no spaces (``张 三`` = ``张三``)."""
    if value.__class__ is str and " " not in value and unicodedata.is_normalized("NFKC", value):
        return value.strip()
    return "".join(unicodedata.normalize("NFKC", cell_text(value)).split())


# --------------------------------------------------------------------------- small parsers
_YES = frozenset({"是", "y", "yes", "true", "1", "已结对", "结对", "√", "✓", "有"})
_NO = frozenset({"否", "n", "no", "false", "0", "未结对", "×", "x", "无", "没有"})


def bool_cell(column: str, value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    s = unicodedata.normalize("NFKC", cell_text(value)).casefold().replace(" ", "")
    if s in _YES:
        return True
    if s in _NO or s in EMPTY_TOKENS:
        return default if s in EMPTY_TOKENS else False
    raise RowReject(column, "bad_bool", value)


class VocabCells:
    """Cached vocabulary lookups: code, Chinese or English label, alias -> code."""

    def __init__(self, key: str, lang: str):
        self.vocab = vocabulary(key)
        self.lang = lang
        self.cache: dict[Any, str] = {}  # raw cell -> code (row functions may read it directly)

    def __call__(self, column: str, value: Any, default: str | None = None) -> str:
        if is_empty(value):
            if default is not None:
                return default
            raise RowReject(column, "required_missing", value)
        s = value if isinstance(value, str) else cell_text(value)
        code = self.cache.get(s)
        if code is None:
            code = self.vocab.lookup(s)
            if code is None:
                labels = "、".join(t.label(self.lang) for t in self.vocab.terms)
                raise RowReject(column, "unknown_vocab", value, vocab=self.vocab.name(self.lang), labels=labels)
            if len(self.cache) < 10_000:
                self.cache[s] = code
        return code


_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")


def parse_time(value: Any, served_on: str) -> int:
    """Seconds since midnight of ``served_on`` for a check-in/out cell: ``08:30``,
    ``8:30:15``, ``2023-12-31 08:30``, a datetime/time cell or an Excel day fraction.
    Raises RowReject-compatible ValueError keys: bad_time, times_not_same_day."""
    if isinstance(value, dt.datetime):
        if value.date().isoformat() != served_on:
            raise ValueError("times_not_same_day")
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, float) and not isinstance(value, bool):
        if 0 <= value < 1:
            return round(value * 86400)
        day = excel_serial_date(value).isoformat()
        if day != served_on:
            raise ValueError("times_not_same_day")
        return round((value % 1) * 86400)
    s = unicodedata.normalize("NFKC", cell_text(value))
    parts = s.split()
    if len(parts) == 2:
        try:
            day = parse_date(parts[0]).isoformat()
        except ValueError:
            raise ValueError("bad_time") from None
        if day != served_on:
            raise ValueError("times_not_same_day")
        s = parts[1]
    elif "T" in s:
        d, _, s = s.partition("T")
        try:
            if parse_date(d).isoformat() != served_on:
                raise ValueError("times_not_same_day")
        except ValueError as exc:
            raise ValueError(exc.args[0] if exc.args[0] == "times_not_same_day" else "bad_time") from None
    m = _TIME.match(s)
    if not m:
        raise ValueError("bad_time")
    h, mi, se = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 24 or mi > 59 or se > 59 or (h == 24 and (mi or se)):
        raise ValueError("bad_time")
    return h * 3600 + mi * 60 + se


_HOURS = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)\s*(?:h|hr|hrs|hours?|小时|时)?$", re.IGNORECASE)


def parse_hours(value: Any) -> int:
    """Hours -> whole seconds (exact for hours to two decimals). ValueError when not a number."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        s = unicodedata.normalize("NFKC", str(value)).strip()
        m = _HOURS.match(s)
        if not m:
            raise ValueError(value)
        try:
            d = Decimal(m.group(1))
        except InvalidOperation:
            raise ValueError(value) from None
    return int((d * 3600).to_integral_value())


# --------------------------------------------------------------------------- reading
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
        raise UnusableFile(message("unreadable_encoding", lang, file=file_label)) from None
    raw = open(path, "rb")  # noqa: SIM115 - closed by Table.close
    text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError:
        text.close()
        raise UnusableFile(message("decode_error", lang, file=file_label, row=1, encoding=encoding)) from None
    delimiter = _sniff_delimiter(first)
    text.seek(0)
    reader = csv.reader(text, delimiter=delimiter)

    def on_error() -> UnusableFile:
        return UnusableFile(message("decode_error", lang, file=file_label, row=reader.line_num + 1, encoding=encoding))

    return _with_header(enumerate(reader, 1), text.close, encoding, on_error)


# What a staff workbook can hold, checked before and while it is read: Excel's own sheet size,
# a total far above any programme's year, and the packing of ordinary XLSX (XML compresses
# 5-20 times; a part packed 200 times over is a zip bomb: one 400 MB cell in a 412 KB file)
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CELL = 32_767  # Excel's own limit on a cell's characters
XLSX_MAX_UNPACKED = 2 * 1024**3
XLSX_MAX_RATIO = 200
XLSX_RATIO_FROM = 16 * 1024**2  # small parts pack as they like
REJECT_VALUE_CHARS = 200  # a rejects file shows enough of a value to find it, not megabytes


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
        raise UnusableFile(message("xlsx_too_large", lang, file=file_label, size=size, ratio=f"{ratio:,.0f}"))


def open_xlsx(path: Path, file_label: str, lang: str, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook

    _check_xlsx_size(path, file_label, lang)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnusableFile(message("bad_xlsx", lang, file=file_label)) from exc
    except Exception as exc:  # zlib.error, XML ParseError, NotImplementedError (zip version): a broken file
        raise UnusableFile(message("bad_xlsx", lang, file=file_label)) from exc
    if sheet is not None:
        if sheet not in wb.sheetnames:
            names = "、".join(wb.sheetnames)
            wb.close()
            raise UnusableFile(message("sheet_not_found", lang, file=file_label, sheet=sheet, sheets=names))
        ws = wb[sheet]
    elif wb.worksheets:
        ws = wb.worksheets[0]
    else:  # a workbook part naming no sheet at all
        wb.close()
        raise UnusableFile(message("bad_xlsx", lang, file=file_label))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for n, cells in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                if n > XLSX_MAX_ROWS:  # no Excel writes this: a forged sheet of empty rows
                    raise UnusableFile(message("xlsx_too_many_rows", lang, file=file_label, limit=f"{XLSX_MAX_ROWS:,}"))
                if any(c.__class__ is str and len(c) > XLSX_MAX_CELL for c in cells):
                    limit = f"{XLSX_MAX_CELL:,}"
                    raise UnusableFile(message("xlsx_cell_too_long", lang, file=file_label, row=n, limit=limit))
                yield n, list(cells)
        except UnusableFile:
            raise
        except Exception as exc:  # a truncated or corrupt sheet is found while streaming it
            raise UnusableFile(message("bad_xlsx", lang, file=file_label)) from exc

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
        raise UnusableFile(message("file_not_found", lang, file=file_label))
    with open(path, "rb") as f:
        magic = f.read(8)
    suffix = path.suffix.lower()
    if suffix == ".xls" or magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnusableFile(message("old_xls", lang, file=file_label))
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
        raise UnusableFile(message("bad_json", lang, file=file_label, record=0))
    f = open(path, "rb")  # noqa: SIM115 - closed by Table.close
    head: list[Any] = []

    def broken() -> UnusableFile:  # the record being read when the JSON broke
        return UnusableFile(message("bad_json", lang, file=file_label, record=len(head)))

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
        raise UnusableFile(message("json_not_records", lang, file=file_label))
    header = list(dict.fromkeys(k for r in head for k in r))
    at = {k: i for i, k in enumerate(header)}
    width = len(header)

    def cells(record: Any) -> list[Any]:
        if not isinstance(record, dict):
            raise UnusableFile(message("json_not_records", lang, file=file_label))
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
            raise UnusableFile(message("bad_json", lang, file=file_label, record=n)) from None

    table = Table(header=header, header_row=0, rows=rows(), close=f.close, row_label="col_record")
    table.head = [(-1, header)] if header else []
    return table


# --------------------------------------------------------------------------- rejects
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
        """One rejected row; ``key`` (the messages.toml reason) groups rows for the summary."""
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
            self._w.writerow([message(k, self.lang) for k in labels])
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


# --------------------------------------------------------------------------- database
@dataclass
class Dialect:
    name: str  # "sqlite" or "postgresql"
    ph: str  # placeholder

    def distinct(self, a: str, b: str) -> str:
        return f"{a} IS NOT {b}" if self.name == "sqlite" else f"{a} IS DISTINCT FROM {b}"


def upsert_sql(d: Dialect, table: str, cols: Sequence[str], key: Sequence[str]) -> str:
    """INSERT … ON CONFLICT (key) DO UPDATE only when some value differs: reloading a file
    changes nothing (not even ``batch_id``), a corrected row is updated in place."""
    values = ", ".join([d.ph] * len(cols))
    data_cols = [c for c in cols if c not in key and c != "batch_id"]
    sets = ", ".join(f"{c} = excluded.{c}" for c in [*data_cols, "batch_id"] if c in cols)
    where = " OR ".join(d.distinct(f"{table}.{c}", f"excluded.{c}") for c in data_cols)
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({values}) ON CONFLICT ({', '.join(key)}) "
    if not data_cols:
        return sql + "DO NOTHING"
    return sql + f"DO UPDATE SET {sets} WHERE {where}"


class ChunkWriter:
    """Writes chunks through ``write`` and sums the rows it changed. (A background writer
    thread was measured: sqlite3 holds the GIL while binding, so it gained nothing.)"""

    def __init__(self, write: Callable[[list[list[Any]]], int]):
        self._write = write
        self.changes = 0

    def put(self, rows: list[list[Any]]) -> None:
        self.changes += self._write(rows)

    def close(self) -> int:
        return self.changes


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


class PersonIds:
    """Pseudonym -> integer ``person.id``, created on first sight.

    While the person table fits in ``MAX_CACHE`` entries it is read once and misses are known
    to be new (no query per chunk); beyond that the cache is cleared (memory stays flat) and
    misses are resolved per chunk with IN queries."""

    MAX_CACHE = 400_000
    IN_CHUNK = 500

    def __init__(self, cur, d: Dialect):
        self.cur = cur
        self.d = d
        self.cache: dict[str, int] = {}
        self.complete = False  # the cache holds every person of the store
        self.created = 0
        self._next_id: int | None = None
        self._started = False

    def _start(self) -> None:
        self._started = True
        self.cur.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM person")
        count, max_id = self.cur.fetchone()
        self._next_id = max_id + 1
        if count <= self.MAX_CACHE // 2:
            self.cur.execute("SELECT pseudonym, id FROM person")
            self.cache.update(self.cur.fetchall())
            self.complete = True

    def _select(self, pseudonyms: list[str]) -> None:
        for i in range(0, len(pseudonyms), self.IN_CHUNK):
            part = pseudonyms[i : i + self.IN_CHUNK]
            marks = ", ".join([self.d.ph] * len(part))
            self.cur.execute(f"SELECT pseudonym, id FROM person WHERE pseudonym IN ({marks})", part)
            self.cache.update(self.cur.fetchall())

    def resolve(self, pseudonyms: set[str]) -> dict[str, int]:
        if not self._started:
            self._start()
        if len(self.cache) + len(pseudonyms) > self.MAX_CACHE:
            self.cache.clear()
            self.complete = False
        cache = self.cache
        missing = [p for p in pseudonyms if p not in cache]
        if missing:
            if not self.complete:
                self._select(missing)
                missing = [p for p in missing if p not in cache]
            if missing:
                if self.d.name == "sqlite":
                    # Inside BEGIN IMMEDIATE nobody else writes: hand out ids ourselves.
                    rows = [(self._next_id + i, p) for i, p in enumerate(missing)]
                    self._next_id += len(missing)
                    self.cur.executemany("INSERT INTO person (id, pseudonym) VALUES (?, ?)", rows)
                    cache.update((p, i) for i, p in rows)
                else:
                    self.cur.executemany(
                        "INSERT INTO person (pseudonym) VALUES (%s) ON CONFLICT (pseudonym) DO NOTHING",
                        [(p,) for p in missing],
                    )
                    self._select(missing)
                self.created += len(missing)
        return cache


# --------------------------------------------------------------------------- kinds
@dataclass
class Context:
    """What a kind's row function may use: parsers, reference lookups, the pseudonymiser."""

    lang: str
    pseudonym: Callable[[str], str]
    dates: DateCells
    programmes: dict[str, str]  # normalised code / name_zh / name_en -> code
    regions: dict[str, str | None]  # code / name -> code (None: ambiguous name)
    register: dict[tuple[str, str], tuple[int, str]]  # (programme, pseudonym) -> (person id, county)
    # (platform, project id) -> programme code (None: two programmes claim the project)
    platform_projects: dict[tuple[str, str], str | None] = field(default_factory=dict)
    vocab_cache: dict[str, VocabCells] = field(default_factory=dict)
    ids: IdCells | None = None  # cell -> (IdInfo, pseudonym)

    def __post_init__(self) -> None:
        if self.ids is None:
            self.ids = IdCells(self.pseudonym)

    def vocab(self, key: str) -> VocabCells:
        if key not in self.vocab_cache:
            self.vocab_cache[key] = VocabCells(key, self.lang)
        return self.vocab_cache[key]

    def programme(self, column: str, value: Any) -> str:
        if is_empty(value):
            raise RowReject(column, "required_missing", value)
        code = self.programmes.get(value) if isinstance(value, str) else None
        if code is None:
            code = self.programmes.get(norm_ref(value))
            if code is None:
                raise RowReject(column, "unknown_programme", value)
        return code

    def region(self, column: str, value: Any, *, required: bool = True) -> str | None:
        if is_empty(value):
            if required:
                raise RowReject(column, "required_missing", value)
            return None
        key = value if isinstance(value, str) else cell_text(value)
        if key in self.regions:
            code = self.regions[key]
        else:
            key = norm_ref(value)
            if key not in self.regions:
                raise RowReject(column, "unknown_region", value)
            code = self.regions[key]
        if code is None:
            raise RowReject(column, "ambiguous_region", value)
        return code


def norm_ref(value: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", cell_text(value)).split()).casefold()


@dataclass(frozen=True)
class KindSpec:
    kind: str
    columns: tuple[Column, ...]
    table: str
    out_cols: tuple[str, ...]  # columns of ``table`` the row function returns, in order
    key: tuple[str, ...]  # conflict target
    make_row: Callable[[Context, dict[str, int]], Callable[[list[Any]], tuple]]
    person_col: str | None = None  # an out column holding a pseudonym to turn into person.id
    # duplicate-in-file detection: an index into the row function's output, or a function of it
    file_key: int | Callable[[list], Any] | None = None
    file_key_column: str | None = None
    check_header: Callable[[set[str], str, str], None] | None = None
    needs_reference: bool = True
    platform: str | None = None  # a fundraising platform's order export (loaders/platforms.py)

    @property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}


# --------------------------------------------------------------------------- the pipeline
@dataclass
class LoadResult:
    kind: str
    file: str
    rows: int
    loaded: int
    rejected: int
    rejects_file: str | None
    unchanged: bool = False  # True when the same file (sha256) was loaded before
    ignored_columns: tuple[str, ...] = ()  # headers not recognised (reported once)
    batch_id: int | None = None
    platform: str | None = None  # the platform whose order export the file is
    not_paid: int = 0  # orders never paid: not rows of the file's count, listed apart
    not_paid_file: str | None = None

    def as_json(self) -> dict:
        out = {
            "kind": self.kind,
            "file": self.file,
            "rows": self.rows,
            "loaded": self.loaded,
            "rejected": self.rejected,
            "rejects_file": self.rejects_file,
        }
        if self.platform is not None:
            out |= {"platform": self.platform, "not_paid": self.not_paid, "not_paid_file": self.not_paid_file}
        return out


class NothingLoaded(Exception):
    """Nothing of the file was loaded and the store is as it was; the rejects file (written)
    says why, row by row. ``result`` has the counts and the rejects file's path."""

    def __init__(self, result: LoadResult, text: str = ""):
        super().__init__(text or f"{result.file}: {result.rejected} rejected")
        self.result = result


class StrictRejected(NothingLoaded):
    """--strict and some rows bad: nothing was loaded (the rejects file says which)."""


TOP_REASONS = 3  # reasons named in the message of a file whose every row was rejected
# reasons that mean a file was loaded too early: the message says what to load first
LOAD_FIRST_HINTS = {"child_not_registered": "children_register_first"}


class AllRowsRejected(NothingLoaded):
    """Every row of the file was rejected: a failed load, with or without --strict. Nothing
    was written (no batch either). ``str(exc)`` is one line in the user's language counting
    the main reasons, most frequent first; ``reasons`` is ``[(column label, reason key,
    count)]`` in that order."""

    def __init__(self, result: LoadResult, text: str, reasons: list[tuple[str, str, int]]):
        super().__init__(result, text)
        self.reasons = reasons


def all_rows_rejected(
    result: LoadResult, reasons: dict[tuple[str, str], list], file_label: str, lang: str
) -> AllRowsRejected:
    """The failed load's exception: the rejects' reasons counted, most frequent first (ties in
    the order first met), the first ``TOP_REASONS`` named with the reject reasons' own messages,
    the rest counted together, then what to load first when that is why. Only column headers
    and reason texts appear: never a value from a row."""
    ranked = sorted(reasons.items(), key=lambda item: -item[1][0])  # stable: first met first
    parts = [
        message("rejected_reason_count", lang, count=count, column=mask_digits(label), reason=text)
        for (label, _key), (count, text) in ranked[:TOP_REASONS]
    ]
    rest = sum(count for _k, (count, _t) in ranked[TOP_REASONS:])
    if rest:
        parts.append(message("rejected_reasons_more", lang, count=rest))
    line = message(
        "all_rows_rejected",
        lang,
        file=file_label,
        rows=result.rows,
        reasons=("；" if lang == "zh" else "; ").join(parts),
    )
    hints = dict.fromkeys(LOAD_FIRST_HINTS[key] for _label, key in reasons if key in LOAD_FIRST_HINTS)
    for hint in hints:
        line += " " + message(hint, lang, kind=result.kind)
    return AllRowsRejected(result, line, [(label, key, count) for (label, key), (count, _t) in ranked])


@dataclass
class HeaderMap:
    positions: dict[str, int]  # canonical -> index in the row (missing -> the pad cell)
    labels: dict[str, str]  # canonical -> header as the clerk wrote it
    present: set[str]
    ignored: tuple[str, ...]
    width: int


def map_header(spec: KindSpec, header: list[Any], file_label: str, lang: str) -> HeaderMap:
    index = header_index(spec.columns)
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    ignored: list[str] = []
    for i, raw in enumerate(header):
        text = cell_text(raw)
        if not text:
            continue
        name = match_header(raw, index)
        if name is None:
            ignored.append(text)
            continue
        if name in positions:
            raise UnusableFile(
                message("duplicate_column", lang, file=file_label, first=labels[name], second=text, column=name)
            )
        positions[name] = i
        labels[name] = text
    present = set(positions)
    for col in spec.columns:
        if col.required and col.name not in present:
            raise UnusableFile(
                message(
                    "missing_column",
                    lang,
                    file=file_label,
                    column=col.name,
                    names="、".join(dict.fromkeys(col.spellings)),
                )
            )
    if spec.check_header is not None:
        spec.check_header(present, file_label, lang)
    width = len(header)
    for col in spec.columns:
        positions.setdefault(col.name, width)
        labels.setdefault(col.name, col.name)
    return HeaderMap(positions, labels, present, tuple(ignored), width)


def choose_header(spec: KindSpec, table: Table, file_label: str, lang: str):
    """The first of the buffered rows that is a usable header for ``spec``, and the data rows
    after it. When none is, the first row's problem is the one reported."""
    first_error: UnusableFile | None = None
    for i, (_n, cells) in enumerate(table.head):
        try:
            hmap = map_header(spec, cells, file_label, lang)
        except UnusableFile as exc:
            first_error = first_error or exc
            continue
        return hmap, itertools.chain(table.head[i + 1 :], table.rows)
    assert first_error is not None
    raise first_error


def read_head(path: Path, sheet: str | None = None, lang: str = "zh") -> list[list[Any]]:
    """The first non-blank rows of a file (header candidates)."""
    table = open_table(path, path.name, lang, sheet)
    try:
        return [cells for _n, cells in table.head]
    finally:
        table.close()


def _dialect(engine) -> Dialect:
    name = engine.dialect.name
    return Dialect("sqlite", "?") if name == "sqlite" else Dialect("postgresql", "%s")


def _load_reference(cur, ctx: Context, spec: KindSpec, d: Dialect) -> None:
    cur.execute("SELECT code, name_zh, name_en FROM programme")
    for code, zh, en in cur.fetchall():
        for k in (code, norm_ref(code), norm_ref(zh), norm_ref(en)):
            ctx.programmes.setdefault(k, code)
    cur.execute("SELECT code, name_zh, name_en FROM region")
    names: dict[str, set[str]] = {}
    for code, zh, en in cur.fetchall():
        ctx.regions[code] = code
        for k in {norm_ref(zh), norm_ref(en)}:
            names.setdefault(k, set()).add(code)
    for k, codes in names.items():
        if k not in ctx.regions:
            ctx.regions[k] = next(iter(codes)) if len(codes) == 1 else None
    if spec.platform is not None:
        from loaders.platforms import project_index

        cur.execute("SELECT code, platform_project_ids FROM programme")
        ctx.platform_projects.update(project_index(cur.fetchall()))
    if spec.kind in ("disbursements", "volunteer_hours"):
        cur.execute("SELECT c.programme, p.pseudonym, p.id, c.county FROM child c JOIN person p ON p.id = c.person_id")
        for programme, pseudonym, pid, county in cur.fetchall():
            ctx.register[(programme, pseudonym)] = (pid, county)


def _now_for(d: Dialect):
    now = dt.datetime.now(dt.UTC)
    return now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if d.name == "sqlite" else now


def run_load(
    spec: KindSpec,
    path: Path,
    *,
    engine,
    key: bytes,
    sheet: str | None = None,
    strict: bool = False,
    lang: str = "zh",
    is_sample: bool = False,
) -> LoadResult:
    path = Path(path)
    file_label = path.name
    if isinstance(key, str):
        key = key.encode()
    if not key:
        raise UnusableFile(message("no_key", lang))
    pseudonym = fast_pseudonymiser(key)
    fp = fingerprint(key)
    table = open_table(path, file_label, lang, sheet)
    raw = None
    dbapi = None
    old_isolation = None
    old_cache = None
    rejects = RejectsWriter(path, lang, row_label=table.row_label)
    not_paid = RejectsWriter(path, lang, suffix=".not-paid.csv", row_label=table.row_label)
    try:
        if not table.header:
            raise UnusableFile(message("empty_file", lang, file=file_label))
        hmap, rows = choose_header(spec, table, file_label, lang)
        if hmap.ignored:
            log.warning(message("ignored_columns", lang, file=file_label, columns="、".join(hmap.ignored)))
        digest = sha256_file(path)
        d = _dialect(engine)

        raw = engine.raw_connection()
        dbapi = raw.driver_connection
        cur = dbapi.cursor()
        if d.name == "sqlite":
            if dbapi.in_transaction:
                dbapi.rollback()
            old_isolation = dbapi.isolation_level
            dbapi.isolation_level = None
            # Every reference (programme, region, person, batch) is checked by the loader
            # against the store inside this transaction, so SQLite need not check it again
            # row by row (~8% of the insert). Restored before the connection goes back.
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.execute("PRAGMA cache_size")
            old_cache = cur.fetchone()[0]
            cur.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
            cur.execute("BEGIN IMMEDIATE")
        try:
            cur.execute(f"SELECT value FROM meta WHERE key = {d.ph}", ("key_fingerprint",))
        except Exception as exc:
            if d.name == "postgresql":
                dbapi.rollback()
            raise UnusableFile(message("not_initialised", lang)) from exc
        stored = cur.fetchone()
        if stored and stored[0] != fp:
            raise KeyMismatch(message("key_mismatch", lang, file=file_label, stored=stored[0][:8], current=fp[:8]))

        cur.execute(
            f"SELECT rows, loaded, rejected FROM batch WHERE sha256 = {d.ph} AND kind = {d.ph} "
            "ORDER BY id DESC LIMIT 1",
            (digest, spec.kind),
        )
        previous = cur.fetchone()
        if previous is not None and previous[2] == 0:
            dbapi.rollback()
            return LoadResult(
                spec.kind,
                str(path),
                previous[0],
                0,
                0,
                None,
                unchanged=True,
                ignored_columns=hmap.ignored,
                platform=spec.platform,
            )

        ctx = Context(lang=lang, pseudonym=pseudonym, dates=DateCells(), programmes={}, regions={}, register={})
        if spec.needs_reference:
            _load_reference(cur, ctx, spec, d)

        now = _now_for(d)
        batch_sql = (
            "INSERT INTO batch (kind, file_name, sha256, rows, loaded, rejected, loaded_at) "
            f"VALUES ({d.ph}, {d.ph}, {d.ph}, 0, 0, 0, {d.ph})"
        )
        if d.name == "sqlite":
            cur.execute(batch_sql, (spec.kind, file_label[:255], digest, now))
            batch_id = int(cur.lastrowid)
        else:
            cur.execute(batch_sql + " RETURNING id", (spec.kind, file_label[:255], digest, now))
            batch_id = int(cur.fetchone()[0])

        cols = (*spec.out_cols, "batch_id")
        sql = upsert_sql(d, spec.table, cols, spec.key).replace(
            f"VALUES ({', '.join([d.ph] * len(cols))})",
            f"VALUES ({', '.join([d.ph] * len(spec.out_cols))}, {batch_id})",
            1,
        )
        row_fn = spec.make_row(ctx, hmap.positions)
        pii = {c.name: c.pii for c in spec.columns}
        person_at = spec.out_cols.index(spec.person_col) if spec.person_col else None
        persons = PersonIds(cur, d)
        file_key = spec.file_key
        width = hmap.width + 1
        pad = [None] * width
        chunk: list[list[Any]] = []
        chunk_cells: list[list[Any]] = []  # the raw rows of ``chunk`` (masked values of late rejects)
        chunk_keys: dict[int, int] = {}  # key hash -> row number, for this chunk
        earlier = KeyRegistry()  # keys of the chunks already written
        n_rows = loaded = 0

        def write(rows: list[list[Any]]) -> int:
            if person_at is not None:
                ids = persons.resolve({r[person_at] for r in rows if r[person_at] is not None})
                for r in rows:
                    p = r[person_at]
                    if p is not None:
                        r[person_at] = ids[p]
            cur.executemany(sql, rows)
            return max(cur.rowcount, 0)

        writer = ChunkWriter(write)
        key_column = spec.file_key_column or spec.key[0]
        key_pos = hmap.positions[key_column]

        def reject_duplicate(row_no: int, cells: list[Any], first: int) -> None:
            rejects.add(
                row_no,
                hmap.labels[key_column],
                message("duplicate_key", lang, label=hmap.labels[key_column], first=first),
                mask(cells[key_pos], pii.get(key_column), key_column),
                "duplicate_key",
            )

        def flush() -> int:
            """Writes the chunk less the keys an earlier chunk had; returns how many it dropped."""
            nonlocal chunk, chunk_cells
            dropped = 0
            if file_key is not None:
                hashes, row_nos = list(chunk_keys), list(chunk_keys.values())
                firsts = earlier.first_rows(hashes)
                if any(f >= 0 for f in firsts):
                    keep = [i for i, f in enumerate(firsts) if f < 0]
                    for i, f in enumerate(firsts):
                        if f >= 0:
                            reject_duplicate(row_nos[i], chunk_cells[i], f)
                    dropped = len(chunk) - len(keep)
                    chunk = [chunk[i] for i in keep]
                    hashes, row_nos = [hashes[i] for i in keep], [row_nos[i] for i in keep]
                earlier.add(hashes, row_nos)
                chunk_keys.clear()
            if chunk:
                writer.put(chunk)
            chunk, chunk_cells = [], []
            return dropped

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
                            raise RowReject(
                                key_column, "duplicate_key", cells[key_pos], label=hmap.labels[key_column], first=first
                            )
                except NotPaid as skipped:
                    not_paid.add(
                        row_no,
                        hmap.labels.get(skipped.column, skipped.column),
                        message("order_not_paid", lang),
                        mask(skipped.value, None, skipped.column),
                    )
                    continue
                except RowReject as r:
                    if all(is_empty(c) for c in cells):
                        continue  # only spaces or dashes: still a blank row
                    n_rows += 1
                    rejects.add(
                        row_no,
                        hmap.labels.get(r.column, r.column),
                        message(r.reason, lang, **r.params),
                        mask(r.value, pii.get(r.column), r.column),
                        r.reason,
                    )
                    continue
                n_rows += 1
                loaded += 1
                chunk.append(out)
                chunk_cells.append(cells)
                if len(chunk) >= CHUNK:
                    loaded -= flush()
            loaded -= flush()
        except (UnicodeDecodeError, csv.Error):
            if table.on_error is None:
                raise
            raise table.on_error() from None
        changes = writer.close() + persons.created
        # the unpaid orders are a fact of the file whatever becomes of the load: listed now
        paid_not = {"platform": spec.platform, "not_paid": not_paid.count, "not_paid_file": not_paid.finish()}
        if n_rows == 0 and not_paid.count:
            # Every order is unpaid: nothing to load and nothing wrong; the list says which.
            dbapi.rollback()
            rejects.finish()
            return LoadResult(spec.kind, str(path), 0, 0, 0, None, ignored_columns=hmap.ignored, **paid_not)
        if n_rows == 0:
            raise UnusableFile(message("no_data_rows", lang, file=file_label))
        rejected = rejects.count
        if loaded == 0:
            # Every row was rejected: a failed load, not an empty batch. Nothing is written
            # (the batch row and meta go with the rollback); the rejects file says why.
            dbapi.rollback()
            result = LoadResult(
                spec.kind, str(path), n_rows, 0, rejected, rejects.finish(), ignored_columns=hmap.ignored, **paid_not
            )
            raise all_rows_rejected(result, rejects.reasons, file_label, lang)
        if strict and rejected:
            dbapi.rollback()
            result = LoadResult(
                spec.kind, str(path), n_rows, 0, rejected, rejects.finish(), ignored_columns=hmap.ignored, **paid_not
            )
            raise StrictRejected(result)
        if changes == 0 and previous is not None:
            # Loaded before and nothing differs: no batch is recorded. The rows that were bad
            # are still bad, so they are still listed.
            dbapi.rollback()
            return LoadResult(
                spec.kind,
                str(path),
                n_rows,
                0,
                rejected,
                rejects.finish(),
                unchanged=True,
                ignored_columns=hmap.ignored,
                **paid_not,
            )
        cur.execute(
            f"UPDATE batch SET rows = {d.ph}, loaded = {d.ph}, rejected = {d.ph} WHERE id = {d.ph}",
            (n_rows, loaded, rejected, batch_id),
        )
        meta_sql = (
            f"INSERT INTO meta (key, value) VALUES ({d.ph}, {d.ph}) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        cur.executemany(meta_sql, [("key_fingerprint", fp), ("data_origin", "sample" if is_sample else "real")])
        dbapi.commit()
        result = LoadResult(
            spec.kind,
            str(path),
            n_rows,
            loaded,
            rejected,
            rejects.finish(),
            ignored_columns=hmap.ignored,
            batch_id=batch_id,
            **paid_not,
        )
        log.info(
            "loaded %s %s: rows=%d loaded=%d rejected=%d batch=%d",
            spec.kind,
            file_label,
            n_rows,
            loaded,
            rejected,
            batch_id,
        )
        return result
    except BaseException:
        if dbapi is not None:
            try:
                dbapi.rollback()
            except Exception:
                log.debug("rollback failed", exc_info=True)
        rejects.discard()
        not_paid.discard()
        raise
    finally:
        table.close()
        if dbapi is not None and old_isolation is not None:
            dbapi.cursor().execute("PRAGMA foreign_keys=ON")
            if old_cache is not None:
                dbapi.cursor().execute(f"PRAGMA cache_size={int(old_cache)}")
            dbapi.isolation_level = old_isolation
        if raw is not None:
            raw.close()


def required_present(column: str, value: Any) -> None:
    """A required cell that is only checked for being filled in (a name that is never stored)."""
    if is_empty(value):
        raise RowReject(column, "required_missing", value)


def text_cell(column: str, value: Any, *, required: bool = True, max_len: int | None = None) -> str | None:
    """A plain text cell (codes, keys, reference names), NFKC-folded and stripped."""
    if is_empty(value):
        if required:
            raise RowReject(column, "required_missing", value)
        return None
    s = value.strip() if isinstance(value, str) else cell_text(value)
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s).strip()
    if max_len is not None and len(s) > max_len:
        raise RowReject(column, "too_long", value, max=max_len)
    return s
