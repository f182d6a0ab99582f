"""The cells that identify a person: GB 11643 ID numbers, phones and names.

They are only ever fed to the pseudonymiser: an ID number gives birth date and gender, and
nothing of these cells is stored or logged."""

from __future__ import annotations

import datetime as dt
import operator
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loaders.cells import MIN_YEAR, cell_text, is_empty
from loaders.messages import RowReject
from portal.pseudonym import normalise_phone

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
    future. Raises ValueError with a loader_messages.toml reason key."""
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
