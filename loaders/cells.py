"""Cell parsers: what a raw cell means, or a ``RowReject`` saying why it is bad.

Empty cells, plain text, yes/no, vocabulary terms, dates, amounts (exact integer fen), check-in
times and hours. The cells that identify a person (ID numbers, phones, names) are in
loaders/personal.py."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from loaders.messages import RowReject
from portal.vocab import vocabulary

# --------------------------------------------------------------------------- empty cells and text
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
