"""The portal's URL, read once per visit: which parameters a page takes and what each may hold.
No Streamlit here (``portal.ui`` calls it with ``st.query_params`` and writes widget state).

``read`` never raises: a value that is not one the release offers (an unknown programme,
region or period, a period finer than the fixed grid, a free date range, a wrong type, a huge
string) is dropped with a notice naming the parameter, and the default is used. Notices are
message keys of ``reference/messages.toml`` with their values; every value a notice carries is
made safe for Streamlit markdown first (``safe_name``), so a link cannot write into the page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from portal import periods
from portal.figures import BY_KEY
from portal.i18n import DEFAULT_LANG, LANGS
from portal.vocab import DIMENSIONS, VOCAB_DIMENSIONS, vocabulary

PARAMS = ("lang", "programme", "ptype", "period", "region")
REGION_PAGES = frozenset({"disbursed_by_stage", "children_served", "volunteers"})
# pages without the programme/period filters: the URL carries their own state
NO_FILTER_PAGES = frozenset({"find", "receipt", "open_data"})
PAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "find": ("q", "release", "figure", *DIMENSIONS),  # a search, or a cell's permalink
    "board": ("projector", "slide"),
}

Q_MAX = 200  # the find page's search box takes as much
NAME_MAX = 40  # characters of an unknown parameter's name shown back
NAMES_SHOWN = 8  # unknown parameters named in the notice; the rest are counted
_RELEASE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-]{0,31}")
_SLIDE = re.compile(r"[1-9][0-9]{0,2}")
_GRID_KEY = re.compile(r"all|[0-9]{4}(?:-Q[1-4]|-(?:0[1-9]|1[0-2]))?")
_MD_SPECIAL = re.compile(r"""[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]""")
_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
_SAFE_CHAR = re.compile(r"[0-9A-Za-z_.\-\u3400-\u9fff]")

Notice = tuple[str, dict]


@dataclass(frozen=True)
class Parsed:
    """What a URL asked for, each value one the release offers (or the default), and the
    notices to show for what it asked wrongly."""

    lang: str
    programme: str
    ptype: str
    period: str
    region: str  # "" for all counties
    own: dict[str, str] = field(default_factory=dict)  # the page's own parameters, validated
    notices: tuple[Notice, ...] = ()
    # refused keys to take out of the URL (the board reads ?slide itself). On the find and
    # receipt pages nothing is taken out: find's parameters together name one cell, and
    # without one of them they would name another, so the page says "not found" instead.
    drop: tuple[str, ...] = ()


def value_of(raw) -> str | None:
    """One parameter's value as a string: the last of repeated keys (as ``st.query_params.get``
    gives it), None when absent; any other type as its text."""
    if raw is None:
        return None
    if isinstance(raw, list | tuple):
        return value_of(raw[-1]) if raw else ""
    return raw if isinstance(raw, str) else str(raw)


def is_grid_key(key) -> bool:
    """A period key of the fixed grid ('all', 2023, 2023-Q4, 2023-12) in ASCII digits, year ≥ 1."""
    return isinstance(key, str) and bool(_GRID_KEY.fullmatch(key)) and (key == periods.ALL or key[:4] != "0000")


def language(query: Mapping) -> str:
    """The language a URL asks for (?lang=zh|en), else the default."""
    raw = value_of(query.get("lang"))
    return raw if raw in LANGS else DEFAULT_LANG


def safe_name(name, limit: int = NAME_MAX) -> str:
    """A parameter's name as it may be shown inside Streamlit markdown: ASCII letters, digits,
    ``_ . -`` and CJK ideographs only (every markdown, HTML and ``:directive[…]`` character, backticks, newlines
    and bidi controls are dropped), cut to ``limit``; ``…`` marks a name that was changed."""
    text = str(name)
    kept = "".join(_SAFE_CHAR.findall(text[: limit * 4]))[:limit]
    if kept != text:
        kept += "…"
    return kept if kept.strip("…") else "?…"


def escape_markdown(text) -> str:
    """Text shown inside Streamlit markdown as itself: every ASCII punctuation character
    backslash-escaped (emphasis, links, HTML, ``$`` maths, ``:red[…]`` directives, code
    spans), line breaks made spaces."""
    return _MD_SPECIAL.sub(r"\\\g<0>", _BREAKS.sub(" ", str(text)))


def markdown_url(url: str) -> str:
    """A URL as the target of a markdown link: characters that could end the link or start
    markup (spaces, brackets, angle brackets, quotes, backticks) percent-encoded."""
    return quote(str(url), safe="/:?#&=%.-_~+,;@!$*'")


def unknown_names(keys: Iterable) -> str:
    """The unknown parameters' names for the notice, each made safe, at most NAMES_SHOWN."""
    names = sorted({safe_name(k) for k in keys})
    shown = ", ".join(f"`{n}`" for n in names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        shown += f" (+{len(names) - NAMES_SHOWN})"
    return shown


def read(
    query: Mapping,
    *,
    page: str = "",
    all_periods: Sequence[str],
    programmes: Sequence[str],
    regions: Sequence[str],
    default_period: Callable[[str, str], str] | None = None,
) -> Parsed:
    """The view a URL asks for on ``page`` of a release with these periods, programmes and
    regions. Unknown or malformed values are ignored with a notice (the period grid is fixed:
    a free range, a day, a week or an unknown period is refused). Without a period, the view
    opens on ``default_period(programme, ptype)`` (``portal.coverage``), else the latest."""
    qp = {str(k): value_of(v) for k, v in query.items()}
    own_keys = PAGE_PARAMS.get(page, ())
    notices: list[Notice] = []
    drop: list[str] = []

    def bad(name: str) -> None:
        notices.append(("notice.bad_value", {"name": name}))
        drop.append(name)

    unknown = [k for k in qp if k not in PARAMS and k not in own_keys]
    if unknown:
        notices.append(("notice.unknown_param", {"names": unknown_names(unknown)}))
    raw_lang = qp.get("lang")
    if raw_lang is not None and raw_lang not in LANGS:
        bad("lang")
    lang = raw_lang if raw_lang in LANGS else DEFAULT_LANG

    programme = qp.get("programme", "all")
    if programme not in ("all", *programmes):
        bad("programme")
        programme = "all"
    period = qp.get("period")
    ptype = qp.get("ptype")
    if ptype is not None and ptype not in periods.PERIOD_TYPES:
        bad("ptype")
        ptype = None
    if period is not None and (period not in all_periods or not is_grid_key(period)):
        bad("period")
        period = None
    if period is not None:
        ptype = periods.period_type(period)
    if ptype is None:
        ptype = "year"
    if period is None:
        of_type = [p for p in all_periods if is_grid_key(p) and periods.period_type(p) == ptype]
        period = of_type[-1] if of_type else "all"
        if not of_type:
            ptype = "all"
        elif default_period is not None:
            period = default_period(programme, ptype)
            ptype = periods.period_type(period) or "all"
    region = qp.get("region") or ""
    if region and region not in regions:
        bad("region")
        region = ""

    own: dict[str, str] = {}
    for key in own_keys:
        if key in PARAMS or key not in qp:
            continue  # region is checked above, with the filters
        value = qp[key]
        ok = _own_value(key, value)
        if ok is None:
            bad(key)
            continue
        if ok != value:
            notices.append(("notice.url.cut", {"name": key, "n": Q_MAX}))
        own[key] = ok
    return Parsed(
        lang=lang,
        programme=programme,
        ptype=ptype,
        period=period,
        region=region,
        own=own,
        notices=tuple(notices),
        drop=() if page in NO_FILTER_PAGES else tuple(dict.fromkeys(drop)),
    )


def _own_value(key: str, value: str) -> str | None:
    """A page's own parameter as kept (q cut to Q_MAX), or None when it is refused."""
    if key == "q":
        return value[:Q_MAX]
    if key == "release":
        return value if _RELEASE.fullmatch(value) else None
    if key == "figure":
        return value if value in BY_KEY else None
    if key in VOCAB_DIMENSIONS:
        return value if value in vocabulary(key).codes else None
    if key == "projector":
        return value if value in ("0", "1") else None
    if key == "slide":
        return value if _SLIDE.fullmatch(value) else None
    return None


def slide_index(raw: str | None, slides: int) -> int:
    """The 0-based slide a ``?slide=N`` (1-based) asks for; the first for anything else (a
    refused value, a number past the last slide, no slides at all)."""
    if raw is None or not _SLIDE.fullmatch(raw) or slides < 1:
        return 0
    number = int(raw)
    return number - 1 if 1 <= number <= slides else 0
