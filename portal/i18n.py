"""All UI text of the portal, from ONE file (reference/messages.toml): ``t(key, lang, **values)``.

Figure names and definitions come from ``portal.figures``, vocabulary labels from
``portal.vocab``; this module only carries the words around them."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"
MESSAGES_FILE = Path(__file__).parent / "reference" / "messages.toml"


def _flatten(table: dict, prefix: str = "") -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) >= {"zh", "en"} and all(isinstance(v, str) for v in value.values()):
            out[name] = value
        elif isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            raise ValueError(f"messages.toml: {name} must be a table with zh and en")
    return out


@cache
def messages() -> dict[str, dict[str, str]]:
    return _flatten(tomllib.loads(MESSAGES_FILE.read_text(encoding="utf-8")))


def norm_lang(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str, **values) -> str:
    """The message ``key`` in ``lang`` (zh or en), with ``{placeholders}`` filled."""
    text = messages()[key][norm_lang(lang)]
    return text.format(**values) if values else text
