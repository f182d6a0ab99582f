"""What a kind of file declares (its columns, table, key and row function) and what its row
function may use (``Context``: parsers, reference lookups, the pseudonymiser)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loaders.cells import DateCells, VocabCells, cell_text, is_empty
from loaders.messages import RowReject
from loaders.personal import IdCells


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

    def vocabs(self, *keys: str) -> tuple[VocabCells, ...]:
        """The cell parsers of several vocabularies at once, in the order named."""
        return tuple(self.vocab(key) for key in keys)

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


def positions(columns: tuple[Column, ...], pos: dict[str, int]) -> dict[str, int]:
    """Where each of a kind's columns stands in a file's rows, by canonical name (the row
    functions' opening)."""
    return {c.name: pos[c.name] for c in columns}


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
