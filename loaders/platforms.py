"""Donations straight from a fundraising platform's order export (docs/platform-orders.md).

A platform is data, not code: one TOML file in ``portal/reference/platforms/`` names the
export's field for each part of a donation, the unit of its amounts, the offset its times are
dated in and the states that mean paid. Each file becomes a ``KindSpec`` that
the pipeline (loaders/pipeline.py) runs like any kind, so a second platform is a second file.

``portal load donations FILE`` takes the file as an order export when its header names the
platform's order-number and project-id fields (``detect``); CSV, XLSX and JSON are read by
loaders/reading.py. Each row is one order:
- an order not in a paid state is ``NotPaid``: counted and listed apart, never loaded;
- a paid order is one donation: receipt number = the order number, amount in fen exactly,
  date = the calendar date of its time at the platform's date offset (Beijing), channel
  online, the platform's name as the channel detail, donor type individual and the donor
  anonymous unless the export has those fields;
- its programme is the one whose ``platform_project_ids`` (programmes file) lists the order's
  project id; the project's name in the export is never used to guess.
A donor identifier becomes an HMAC pseudonym of ``platform:identifier`` (the platform's key
keeps one platform's ids apart from another's and from name + phone pseudonyms)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from loaders import donations
from loaders.cells import MAX_YEAR, MIN_YEAR, amount_cell, cell_text, is_empty, text_cell
from loaders.headers import norm_header
from loaders.kinds import Column, Context, KindSpec
from loaders.messages import NotPaid, RowReject, UnusableFile
from loaders.reading import read_head
from portal.vocab import REFERENCE_DIR, vocabulary

PLATFORM_DIR = REFERENCE_DIR / "platforms"
# the parts of a donation an export names, whether each is required, and how a rejected value
# of it is masked (a donor identifier is personal data)
PARTS: tuple[tuple[str, bool, str | None], ...] = (
    ("receipt_no", True, None),
    ("project_id", True, None),
    ("amount", True, None),
    ("paid_time", True, None),
    ("state", True, None),
    ("donor_type", False, None),
    ("donor_id", False, "text"),
)
# the fields that make a header a platform's order export; the others it must have are then
# named when missing, instead of the export being taken for an ordinary donations file
SIGNATURE = ("receipt_no", "project_id")
UNITS = ("fen", "yuan")
PROJECT_ID = re.compile(r"[0-9A-Za-z_.\-]{1,64}")
MAX_FEN_DIGITS = 15  # beyond any gift, and below the 2**53 where a float loses fen


@dataclass(frozen=True)
class Platform:
    key: str  # the file's stem: the prefix of programmes' platform_project_ids entries
    name: str
    channel: str
    fields: dict[str, tuple[str, ...]]
    unit: str
    date_offset: dt.timezone
    naive_offset: dt.timezone
    paid: frozenset[str]
    unused: tuple[str, ...]


def _offset(text: str, where: str) -> dt.timezone:
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text.strip())
    if not m:
        raise ValueError(f"{where}: an offset is written +08:00")
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return dt.timezone(dt.timedelta(minutes=-minutes if m.group(1) == "-" else minutes))


def read_platform(path: Path) -> Platform:
    """One platform file, checked: a broken file is a developer's mistake, raised at once."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    fields = {part: tuple(raw["fields"].get(part, ())) for part, _required, _pii in PARTS}
    missing = [part for part, required, _pii in PARTS if required and not fields[part]]
    if missing:
        raise ValueError(f"{path.name}: [fields] lacks {', '.join(missing)}")
    unit = raw.get("amount", {}).get("unit", "fen")
    if unit not in UNITS:
        raise ValueError(f"{path.name}: [amount] unit is one of {', '.join(UNITS)}")
    channel = raw.get("channel", "online")
    if channel not in vocabulary("channel").codes:
        raise ValueError(f"{path.name}: channel {channel!r} is not a channel code")
    time = raw.get("time", {})
    return Platform(
        key=path.stem,
        name=raw["name"],
        channel=channel,
        fields=fields,
        unit=unit,
        date_offset=_offset(time["date_offset"], path.name),
        naive_offset=_offset(time.get("naive_offset", time["date_offset"]), path.name),
        paid=frozenset(str(s) for s in raw["state"]["paid"]),
        unused=tuple(raw.get("unused", {}).get("fields", ())),
    )


@cache
def platforms() -> dict[str, Platform]:
    return {p.stem: read_platform(p) for p in sorted(PLATFORM_DIR.glob("*.toml"))}


# --------------------------------------------------------------------------- programmes' ids
def project_ids_cell(column: str, value: Any) -> list[tuple[str, str]]:
    """``tencent:237449；tencent:237450`` -> [("tencent", "237449"), ("tencent", "237450")]:
    separated by ``;`` or ``；``, each ``platform:id`` of a platform this deployment knows."""
    if is_empty(value):
        return []
    text = unicodedata.normalize("NFKC", cell_text(value))  # ； -> ;  ： -> :
    entries: list[tuple[str, str]] = []
    for part in text.split(";"):
        part = "".join(part.split())
        if not part:
            continue
        platform, sep, project = part.partition(":")
        platform = platform.casefold()
        if not sep or not platform or not PROJECT_ID.fullmatch(project):
            raise RowReject(column, "bad_platform_project", value)
        if platform not in platforms():
            raise RowReject(column, "unknown_platform", value, platforms="、".join(platforms()))
        entries.append((platform, project))
    return list(dict.fromkeys(entries))


def format_project_ids(entries: Iterable[tuple[str, str]]) -> str | None:
    """The stored form: ``platform:id`` joined by ``;`` (None when there are none)."""
    return ";".join(f"{p}:{i}" for p, i in entries) or None


def project_index(rows: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str], str | None]:
    """(platform, project id) -> programme code, from (code, stored ids) rows; None for a
    project two programmes claim (its orders are rejected: which is right is staff's call)."""
    index: dict[tuple[str, str], str | None] = {}
    for code, stored in rows:
        for entry in (stored or "").split(";"):
            platform, _sep, project = entry.partition(":")
            if project:
                key = (platform, project)
                index[key] = code if index.get(key, code) == code else None
    return index


# --------------------------------------------------------------------------- one order
def _whole_fen(value: Any) -> int:
    """A whole number of fen, however the file holds it (text, an XLSX or JSON number)."""
    if is_empty(value):
        raise RowReject("amount", "required_missing", value)
    if isinstance(value, bool):
        raise RowReject("amount", "amount_not_whole_fen", value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
    else:  # a float by its shortest decimal form, never through float arithmetic
        text = repr(value) if isinstance(value, float) else str(value)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise RowReject("amount", "amount_not_whole_fen", value) from None
    if not number.is_finite() or number != number.to_integral_value() or len(str(abs(int(number)))) > MAX_FEN_DIGITS:
        raise RowReject("amount", "amount_not_whole_fen", value)
    return int(number)


def _receipt(value: Any) -> str:
    if isinstance(value, float) and abs(value) >= 2**53:  # Excel kept 15 significant digits
        raise RowReject("receipt_no", "number_lost_digits", value)
    return text_cell("receipt_no", value, max_len=64)


def _text(value: Any) -> str:
    """An identifier cell as text (a number from XLSX or JSON without ``.0``), NFKC-folded."""
    text = value.strip() if value.__class__ is str else cell_text(value)
    return text if text.isascii() else unicodedata.normalize("NFKC", text).strip()


def make_row_for(platform: Platform):
    def make_row(ctx: Context, pos: dict[str, int]):
        i_no, i_pid, i_amt, i_time, i_state, i_dtype, i_donor = (pos[part] for part, _r, _p in PARTS)
        paid = platform.paid
        projects = {pid: code for (key, pid), code in ctx.platform_projects.items() if key == platform.key}
        date_tz, naive_tz = platform.date_offset, platform.naive_offset
        today = dt.datetime.now(date_tz).date().isoformat()
        donor_type = ctx.vocab("donor_type")
        pseudonym = ctx.pseudonym
        fen_only = platform.unit == "fen"
        channel, name = platform.channel, platform.name[:64]

        def state_of(v: Any) -> None:
            s = v.strip() if v.__class__ is str else cell_text(v)
            if s not in paid:
                if is_empty(v):
                    raise RowReject("state", "required_missing", v)
                raise NotPaid("state", v)

        def date_of(v: Any) -> str:
            if v.__class__ is str:
                s = v.strip()
                if len(s) < 16 or s[10] not in "Tt ":  # a date alone says nothing of the offset
                    raise RowReject("paid_time", "required_missing" if is_empty(v) else "bad_platform_time", v)
                try:
                    t = dt.datetime.fromisoformat(s)
                except ValueError:
                    try:
                        t = dt.datetime.fromisoformat(s.upper())  # RFC 3339 allows t and z
                    except ValueError:
                        raise RowReject("paid_time", "bad_platform_time", v) from None
            elif isinstance(v, dt.datetime):  # an XLSX time cell
                t = v
            else:
                raise RowReject("paid_time", "required_missing" if is_empty(v) else "bad_platform_time", v)
            if t.tzinfo is None:
                t = t.replace(tzinfo=naive_tz)
            try:
                day = t.astimezone(date_tz).date()
            except OverflowError:
                raise RowReject("paid_time", "bad_platform_time", v) from None
            if not MIN_YEAR <= day.year <= MAX_YEAR:
                raise RowReject("paid_time", "bad_platform_time", v)
            iso = day.isoformat()
            if iso > today:
                raise RowReject("paid_time", "future_date", v)
            return iso

        def programme_of(v: Any) -> str:
            key = _text(v)
            if key in projects:
                code = projects[key]
                if code is None:
                    raise RowReject("project_id", "ambiguous_platform_project", v)
                return code
            raise RowReject("project_id", "required_missing" if is_empty(v) else "unknown_platform_project", v)

        def row(r: list) -> list:
            state_of(r[i_state])  # an unpaid order is not a donation, whatever else it holds
            v = r[i_no]
            receipt = v.strip() if v.__class__ is str else None
            if receipt is None or len(receipt) <= 4 or len(receipt) > 64 or not receipt.isascii():
                receipt = _receipt(v)  # the common plain order number skips the checks above
            v = r[i_pid]
            prog = projects.get(v) if v.__class__ is str else None
            if prog is None:
                prog = programme_of(v)
            v = r[i_amt]
            if fen_only:
                fen = int(v) if v.__class__ is int or (v.__class__ is str and v.isdecimal() and v.isascii()) else None
                if fen is None or fen > 10**MAX_FEN_DIGITS:
                    fen = _whole_fen(v)
            else:
                fen = amount_cell("amount", v)
            if fen <= 0:
                raise RowReject("amount", "amount_not_positive", v)
            on = date_of(r[i_time])
            v = r[i_dtype]
            dtype = "individual" if v is None else donor_type("donor_type", v, default="individual")
            v = r[i_donor]
            donor = None if is_empty(v) else pseudonym(f"{platform.key}:{_text(v)}")
            return [receipt, prog, on, fen, False, channel, name, dtype, donor]

        return row

    return make_row


@cache
def spec_of(key: str) -> KindSpec:
    """The platform's order export as a kind: the donations table, key and rules of the
    donations file, the export's own columns and row function."""
    platform = platforms()[key]
    columns = tuple(Column(part, (), platform.fields[part], required, pii) for part, required, pii in PARTS) + tuple(
        Column(f) for f in platform.unused
    )
    return dataclasses.replace(donations.SPEC, columns=columns, make_row=make_row_for(platform), platform=platform.name)


def detect(path: Path, sheet: str | None = None) -> KindSpec | None:
    """The spec of the platform whose order export ``path`` is, judged by its header; None
    for any other file (an unreadable one too: the ordinary load then says why)."""
    try:
        head = read_head(Path(path), sheet)
    except UnusableFile:
        return None
    for key, platform in platforms().items():
        needed = [{norm_header(s) for s in platform.fields[part]} for part in SIGNATURE]
        for header in head:
            names = {norm_header(c) for c in header}
            if all(n & names for n in needed):
                return spec_of(key)
    return None
