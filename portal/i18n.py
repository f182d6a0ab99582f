"""Every message of the portal, its command line and its loaders, in Chinese and English:
``t(key, lang, **values)`` over one catalogue, kept in three files by area under reference/:

- ``messages.toml``: the pages, charts, exports, board pack and API (keys like ``nav.about``);
- ``cli_messages.toml``: the ``portal`` command, its keys under ``cli.`` (``cli.init_done``);
- ``loader_messages.toml``: what the loaders tell a clerk, under ``loader.`` (``loader.bad_date``).

Each text is written once (tests/test_i18n.py fails on a pair defined under two keys). Figure
names and definitions come from ``portal.figures``, vocabulary labels from ``portal.vocab``;
this module only carries the words around them, and how "all" reads (``all_label``)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_TAGS = {"zh": "zh-CN", "en": "en"}  # BCP 47, as <html lang> wants
REFERENCE = Path(__file__).parent / "reference"
# key prefix -> file; one catalogue, a file per area
CATALOGUES: dict[str, Path] = {
    "": REFERENCE / "messages.toml",
    "cli.": REFERENCE / "cli_messages.toml",
    "loader.": REFERENCE / "loader_messages.toml",
}
MESSAGES_FILE = CATALOGUES[""]


def _flatten(table: dict, prefix: str, file: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) >= {"zh", "en"} and all(isinstance(v, str) for v in value.values()):
            out[name] = value
        elif isinstance(value, dict):
            out.update(_flatten(value, f"{name}.", file))
        else:
            raise ValueError(f"{file}: {name} must be a table with zh and en")
    return out


@cache
def messages() -> dict[str, dict[str, str]]:
    """Every message: key -> {"zh": ..., "en": ...}, from every file of the catalogue."""
    out: dict[str, dict[str, str]] = {}
    for prefix, path in CATALOGUES.items():
        table = _flatten(tomllib.loads(path.read_text(encoding="utf-8")), prefix, path.name)
        if clash := set(out) & set(table):
            raise ValueError(f"{path.name}: keys defined twice: {sorted(clash)}")
        out.update(table)
    return out


def norm_lang(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str, **values) -> str:
    """The message ``key`` in ``lang`` (zh or en; anything else reads zh), with ``{placeholders}``
    filled. argparse's ``%(name)s`` placeholders are left for argparse."""
    text = messages()[key][norm_lang(lang)]
    return text.format(**values) if values else text


def pick(lang: str, zh: str, en: str) -> str:
    """The one of a pair of texts kept outside the catalogue (a figure's name, a vocabulary
    term, a programme's name from the release) that ``lang`` reads, as ``t`` chooses."""
    return zh if norm_lang(lang) == "zh" else en


def all_label(dimension: str, lang: str) -> str:
    """How "all" reads for a dimension: 全部项目 / All programmes (programme), 全部县区 / All
    counties (region), 全部时间 / All time (period, and the period type)."""
    return t(f"all.{dimension}", lang)


def join(items: Iterable[str], lang: str) -> str:
    """A list in running text: 甲、乙、丙 / a, b, c."""
    return t("punct.list", lang).join(items)
