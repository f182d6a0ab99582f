"""Matching a file's header to a kind's columns.

Canonical, Chinese or English names; NFKC (full-width brackets), case, spaces, ``*`` and
punctuation are ignored, and a trailing bracketed unit such as ``（元）`` is dropped. Two
columns that mean the same thing fail the file; unknown columns are ignored and reported. The
header is the first of the file's first non-blank rows that names the kind's required columns."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loaders.cells import cell_text
from loaders.kinds import Column, KindSpec
from loaders.messages import UnusableFile
from loaders.reading import Table
from portal.i18n import t

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
                t("loader.duplicate_column", lang, file=file_label, first=labels[name], second=text, column=name)
            )
        positions[name] = i
        labels[name] = text
    present = set(positions)
    for col in spec.columns:
        if col.required and col.name not in present:
            raise UnusableFile(
                t(
                    "loader.missing_column",
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
