"""Controlled vocabularies (stage, category, channel …), declared once in
``reference/vocabularies.toml`` and used by loaders, publish, pages, exports and glossary."""

from __future__ import annotations

import math
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from portal.i18n import all_label, pick

REFERENCE_DIR = Path(__file__).parent / "reference"


def normalise_label(text: str) -> str:
    """Fold what differs between how staff type a label and how we declare it:
    full-width forms (NFKC), surrounding and inner spaces, case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str
    aliases: tuple[str, ...]

    def label(self, lang: str) -> str:
        return pick(lang, self.zh, self.en)


@dataclass(frozen=True)
class Vocabulary:
    key: str
    name_zh: str
    name_en: str
    terms: tuple[Term, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)

    def name(self, lang: str) -> str:
        return pick(lang, self.name_zh, self.name_en)

    def term(self, code: str) -> Term:
        return _term_index(self)[code]

    def label(self, code: str, lang: str) -> str:
        term = _term_index(self).get(code)
        return term.label(lang) if term else code

    def lookup(self, raw: str) -> str | None:
        """The code for a raw cell (code, Chinese or English label, alias), or None."""
        return _alias_index(self).get(normalise_label(raw))


@cache
def _term_index(vocab: Vocabulary) -> dict[str, Term]:
    return {t.code: t for t in vocab.terms}


@cache
def _alias_index(vocab: Vocabulary) -> dict[str, str]:
    index: dict[str, str] = {}
    for term in vocab.terms:
        spellings = [term.code, term.code.replace("_", " "), term.zh, term.en, *term.aliases]
        for label in (term.zh, term.en):
            if "/" in label:
                spellings.extend(label.split("/"))
        for spelling in spellings:
            index.setdefault(normalise_label(spelling), term.code)
    return index


@cache
def vocabularies() -> dict[str, Vocabulary]:
    raw = tomllib.loads((REFERENCE_DIR / "vocabularies.toml").read_text(encoding="utf-8"))
    result = {}
    for key, spec in raw.items():
        terms = tuple(
            Term(
                code,
                spec["codes"][code]["zh"],
                spec["codes"][code]["en"],
                tuple(spec["codes"][code].get("aliases", ())),
            )
            for code in spec["order"]
        )
        result[key] = Vocabulary(key, spec["name_zh"], spec["name_en"], terms)
    return result


def vocabulary(key: str) -> Vocabulary:
    return vocabularies()[key]


# The dimensions of a published cell, in the order of architecture.md. Region and programme
# are reference data loaded by a deployment; the others are vocabularies.
DIMENSIONS: tuple[str, ...] = (
    "region",
    "stage",
    "category",
    "channel",
    "donor_type",
    "volunteer_type",
    "activity",
    "purpose",
)
VOCAB_DIMENSIONS: tuple[str, ...] = tuple(d for d in DIMENSIONS if d != "region")


def label(dimension: str, code, lang: str, names: dict | None = None) -> str:
    """The label of a dimension's code, the one function every page, chart, board and search
    result names a code with: vocabularies' terms from here; regions and programmes from the
    release's Label rows (``names[(dimension, code)] = (zh, en)``); a programme's "all"
    (all programmes together) as ``portal.i18n.all_label`` says it; no code (no breakdown): ""."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return ""
    if dimension in ("region", "programme"):
        if code == "all":
            return all_label(dimension, lang)
        pair = (names or {}).get((dimension, code))
        return pick(lang, *pair) if pair else str(code)
    return vocabulary(dimension).label(code, lang)
