"""查数据 / Find a figure: search a release's cells by figure, programme, period, region and
the other dimensions, typed in Chinese or English ("大学 2023 发放", "volunteer hours Linyi"),
and the citation and permalink of each cell. No Streamlit here.

A query is cut into terms (words, CJK runs segmented against the names we know, period words
such as 2023 / 2023年 / Q4 / 四季度 / 12月 / Dec). Each term is matched against every facet
value's names (figure names from ``portal.figures``, labels from ``portal.vocab`` and the
release's programme and region labels, codes); a cell must match every understood term
somewhere, and ranks by how well, totals before breakdowns nobody asked for."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import pandas as pd

from portal import formatting, periods
from portal import params as url_params
from portal.figures import BY_KEY, FIGURES
from portal.i18n import LANGS, all_label, t
from portal.queries import ReleaseInfo
from portal.vocab import DIMENSIONS, label, vocabulary

FIND_PATH = "find"
DEFAULT_BASE_URL = "http://localhost:8501"
FACETS: tuple[str, ...] = ("figure", "programme", *DIMENSIONS)
PERMALINK_KEYS: tuple[str, ...] = ("lang", "release", "figure", "programme", "period", *DIMENSIONS)
EXACT, PARENT = 3.0, 0.8
UNASKED_BREAKDOWN = 0.6  # a breakdown the query did not ask for ranks below the total

_CJK = re.compile(r"[\u3400-\u9fff]")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ZH_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_PERIOD_WORD = re.compile(
    r"(?P<alltime>全部时间|所有时间|累计|all[\s-]*time|cumulative)"
    r"|(?P<year>(?:19|20)\d{2})\s*年?"
    r"|q(?P<q>[1-4])"
    r"|第?(?P<zq>[1-4一二三四])季度?"
    r"|(?P<month>1[0-2]|0?[1-9])月(?:份)?"
    r"|(?P<zmonth>十[一二]?|[一二三四五六七八九])月(?:份)?"
)
_TOKEN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9][a-z0-9'_-]*")
_STOPWORDS = frozenset({"in", "of", "the", "by", "for", "and", "a", "an", "to", "at", "on", "per", "all"})


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).casefold()


def base_url(settings=None) -> str:
    """The public address of the portal (``PORTAL_PUBLIC_URL``)."""
    value = settings.public_url if settings is not None else None
    return (value or DEFAULT_BASE_URL).rstrip("/")


# ---------------------------------------------------------------- the cell a permalink names


@dataclass(frozen=True)
class CellKey:
    figure: str
    programme: str
    period: str
    dims: tuple[tuple[str, str], ...] = ()  # (dimension, code) for the breakdown, in DIMENSIONS order

    @classmethod
    def of(cls, row) -> CellKey:
        get = row.get if isinstance(row, dict) else row.__getitem__
        dims = tuple((d, str(get(d))) for d in DIMENSIONS if not _missing(get(d)))
        return cls(str(get("figure")), str(get("programme")), str(get("period")), dims)

    def params(self) -> dict[str, str]:
        return {"figure": self.figure, "programme": self.programme, "period": self.period, **dict(self.dims)}

    @classmethod
    def from_params(cls, params) -> CellKey | None:
        """The cell named by URL parameters, or None when they do not name one properly (an
        unknown figure, a period outside the grid, an unknown dimension)."""
        get = {k: url_params.value_of(v) for k, v in params.items()}.get
        figure, programme, period = get("figure"), get("programme"), get("period")
        # a grid key in ASCII digits only ("2023\n", "٢٠٢٣" and year 0000 pass periods.parse's regex)
        if figure not in BY_KEY or not programme or not url_params.is_grid_key(period):
            return None
        dims = tuple((d, get(d)) for d in DIMENSIONS if get(d))
        return cls(figure, programme, period, dims)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA


def permalink(key: CellKey, *, release_id: str, lang: str, base: str = DEFAULT_BASE_URL) -> str:
    query = {"lang": lang, "release": release_id, **key.params()}
    return f"{base.rstrip('/')}/{FIND_PATH}?{urlencode(query)}"


def parse_permalink(url: str) -> tuple[CellKey | None, str | None, str | None]:
    """(cell, release id, language) from a permalink."""
    params = dict(parse_qsl(urlsplit(url).query))
    return CellKey.from_params(params), params.get("release"), params.get("lang")


# ---------------------------------------------------------------- words of a query


@dataclass
class Query:
    terms: list[str] = field(default_factory=list)
    years: set[int] = field(default_factory=set)
    quarters: set[int] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    all_time: bool = False

    @property
    def has_period(self) -> bool:
        return bool(self.years or self.quarters or self.months or self.all_time)


def _zh_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if len(text) == 1:
        return _ZH_NUM[text]
    return 10 + (_ZH_NUM[text[1]] if len(text) > 1 else 0)  # 十一, 十二


def parse_query(text: str, vocabulary_words: frozenset[str] = frozenset()) -> Query:
    """Period words out first, then words and CJK runs (segmented against ``vocabulary_words``,
    the CJK names the index knows)."""
    query = Query()
    text = normalise(text)

    def period_word(m: re.Match) -> str:
        if m["alltime"]:
            query.all_time = True
        elif m["year"]:
            query.years.add(int(m["year"]))
        elif m["q"] or m["zq"]:
            query.quarters.add(_zh_number(m["q"] or m["zq"]))
        elif m["month"]:
            query.months.add(int(m["month"]))
        elif m["zmonth"]:
            query.months.add(_zh_number(m["zmonth"]))
        return " "

    text = _PERIOD_WORD.sub(period_word, text)
    for token in _TOKEN.findall(text):
        if _CJK.match(token):
            query.terms.extend(segment(token, vocabulary_words))
        elif token[:3] in _EN_MONTHS and (len(token) == 3 or _is_month_name(token)):
            query.months.add(_EN_MONTHS.index(token[:3]) + 1)
        elif re.fullmatch(r"(19|20)\d{2}", token):
            query.years.add(int(token))
        elif token not in _STOPWORDS:
            query.terms.append(token)
    return query


def _is_month_name(token: str) -> bool:
    names = ("january", "february", "march", "april", "may", "june", "july", "august", "september")
    return token in (*names, "october", "november", "december", "sept")


def segment(run: str, words: frozenset[str]) -> list[str]:
    """A CJK run cut into the longest pieces that occur in a known name (so "大学发放" →
    大学, 发放); characters that start no known piece are dropped (的, 和 …)."""
    out, i = [], 0
    longest = max(map(len, words), default=0)  # no longer piece occurs in a name
    while i < len(run):
        for j in range(min(len(run), i + longest), i, -1):
            piece = run[i:j]
            if (j - i >= 2 or piece in words) and any(piece in w for w in words):
                out.append(piece)
                i = j
                break
        else:
            i += 1
    return out


# ---------------------------------------------------------------- the index


def _quality(term: str, name: str) -> float:
    """How well a term names ``name``: 3 for the whole name, 1–2 for a part of it (more for a
    larger part, and for the part the name starts with), else 0."""
    if not term or not name:
        return 0.0
    if term == name:
        return EXACT
    part = 1.0 + 0.5 * len(term) / len(name) + (0.5 if name.startswith(term) else 0.0)
    if _CJK.search(term):
        return part if len(term) >= 2 and term in name else 0.0
    words = re.findall(r"[a-z0-9]+", name)
    if len(term) >= 3 and any(w.startswith(term) for w in words):
        return part
    if term in words:  # short codes and numbers: whole words only
        return part
    return 0.0


@dataclass
class Hit:
    key: CellKey
    cell: dict
    score: float


class Index:
    """The searchable cells of one release."""

    def __init__(self, cells: pd.DataFrame, labels: pd.DataFrame, release: ReleaseInfo):
        self.cells = cells.reset_index(drop=True)
        self.release = release
        self.names = {(r.dimension, r.code): (r.name_zh, r.name_en) for r in labels.itertuples()}
        parents = {r.code: r.parent_code for r in labels.itertuples() if r.dimension == "region"}
        self._programme_places = self._places(parents)
        self.facet_names: dict[str, dict[str, list[tuple[str, float]]]] = {}
        for facet in FACETS:
            codes = [c for c in self.cells[facet].dropna().unique()]
            self.facet_names[facet] = {c: self._names_of(facet, str(c), parents) for c in codes}
        self.words = frozenset(
            n for values in self.facet_names.values() for names in values.values() for n, _ in names if _CJK.search(n)
        )
        self._all_periods = sorted(self.cells["period"].unique())
        self._keys = {CellKey.of(row): i for i, row in enumerate(self._records())}

    def _places(self, parents: dict) -> dict[str, list[str]]:
        """programme -> the region codes above all its counties (its city, province), so that
        "Linyi" finds the Linyi programme's totals as well as each Linyi county."""
        out = {}
        frame = self.cells[["programme", "region"]].dropna().drop_duplicates()
        for programme, group in frame.groupby("programme"):
            lines = []
            for code in group["region"]:
                line, parent = [], parents.get(code)
                while parent:
                    line.append(parent)
                    parent = parents.get(parent)
                lines.append(line)
            common = set(lines[0]).intersection(*map(set, lines[1:])) if lines else set()
            out[programme] = [c for c in lines[0] if c in common] if lines else []
        return out

    def _records(self):
        columns = list(self.cells.columns)
        for values in self.cells.itertuples(index=False, name=None):
            yield dict(zip(columns, values, strict=True))

    def _names_of(self, facet: str, code: str, parents: dict) -> list[tuple[str, float]]:
        """(normalised name, weight) pairs: own names weigh 1, a region's city names less."""
        own: list[str] = [code, code.replace("_", " ")]
        inherited: list[str] = []
        if facet == "figure":
            fig = BY_KEY[code]
            own += [fig.name_zh, fig.name_en, re.sub(r"（.*?）|\(.*?\)", "", fig.name_zh)]
        elif facet == "programme":
            own += (
                [all_label("programme", lang) for lang in LANGS]
                if code == "all"
                else list(self.names.get(("programme", code), ()))
            )
            for place in self._programme_places.get(code, ()):
                inherited += list(self.names.get(("region", place), ()))
        elif facet == "region":
            own += list(self.names.get(("region", code), ()))
            parent = parents.get(code)
            while parent:
                inherited += [parent, *self.names.get(("region", parent), ())]
                parent = parents.get(parent)
        else:
            term = vocabulary(facet).term(code)
            own += [term.zh, term.en, *term.aliases, *term.zh.split("/"), *term.en.split("/")]
        pairs = [(normalise(n), 1.0) for n in own if n] + [(normalise(n), PARENT) for n in inherited if n]
        return list(dict.fromkeys(pairs))

    # -------------------------------------------------------------- searching

    def _term_scores(self, term: str) -> dict[str, dict[str, float]]:
        """facet -> {code: quality} for one term (only the codes it matches)."""
        out: dict[str, dict[str, float]] = {}
        for facet, values in self.facet_names.items():
            matched = {}
            for code, names in values.items():
                best = max((_quality(term, n) * w for n, w in names), default=0.0)
                if best > 0:
                    matched[code] = best
            if matched:
                out[facet] = matched
        return out

    def _period_scores(self, query: Query) -> pd.Series:
        scores = {}
        latest_year = max((p for p in self._all_periods if periods.period_type(p) == "year"), default=None)
        for key in self._all_periods:
            p = periods.parse(key)
            if not query.has_period:
                # no period asked for: the latest year, then all time, then other years first
                if key == latest_year:
                    scores[key] = 0.3
                elif key == periods.ALL:
                    scores[key] = 0.25
                else:
                    scores[key] = {"year": 0.2, "quarter": 0.1}.get(p.type, 0.0) + p.start.year * 1e-5
                continue
            if p is None:  # all time
                scores[key] = EXACT if query.all_time else 0.0
                continue
            if query.all_time and not (query.years or query.quarters or query.months):
                scores[key] = 0.0
                continue
            quarter = periods.quarter_of(p.start.month)
            ok_year = not query.years or p.start.year in query.years
            ok_quarter = not query.quarters or (p.type != "year" and quarter in query.quarters)
            ok_month = not query.months or (p.type == "month" and p.start.month in query.months)
            if not (ok_year and ok_quarter and ok_month):
                scores[key] = 0.0
                continue
            wanted = "month" if query.months else "quarter" if query.quarters else "year"
            scores[key] = EXACT if p.type == wanted else 1.5 if p.type == "quarter" else 1.0
        return self.cells["period"].map(scores).astype(float)

    def search(self, text: str, *, limit: int = 20) -> list[Hit]:
        query = parse_query(text, self.words)
        total = pd.Series(0.0, index=self.cells.index)
        keep = pd.Series(True, index=self.cells.index)
        mentioned: set[str] = set()
        understood = False
        for term in dict.fromkeys(query.terms):  # a word typed twice narrows and counts once
            scores = self._term_scores(term)
            if not scores:
                continue  # a word we do not know narrows nothing
            understood = True
            top = max(max(m.values()) for m in scores.values())
            best = pd.Series(0.0, index=self.cells.index)
            for facet, matched in scores.items():
                best = best.combine(self.cells[facet].map(matched).fillna(0.0).astype(float), max)
                if max(matched.values()) >= top:  # what the term most likely means
                    mentioned.add(facet)
            keep &= best > 0
            total += best
        period_score = self._period_scores(query)
        if query.has_period:
            understood = True
            keep &= period_score > 0
        if not understood:
            return []
        total += period_score
        for dim in DIMENSIONS:
            total -= self.cells[dim].notna() * (UNASKED_BREAKDOWN if dim not in mentioned else 0.02)
        if "programme" not in mentioned:
            total += (self.cells["programme"] == "all") * 0.05
        total += (self.cells["status"] == "published") * 0.01
        ranked = total[keep].sort_values(ascending=False, kind="stable").head(limit)
        records = self.cells.loc[ranked.index].to_dict("records")
        return [Hit(CellKey.of(r), r, float(s)) for r, s in zip(records, ranked, strict=True)]

    def get(self, key: CellKey) -> dict | None:
        i = self._keys.get(key)
        return None if i is None else self.cells.iloc[i].to_dict()

    # -------------------------------------------------------------- what a result shows

    def label(self, dimension: str, code: str, lang: str) -> str:
        return label(dimension, code, lang, self.names)

    def scope(self, key: CellKey, lang: str) -> str:
        """Programme and breakdown in words: 大手牵小手 · 小学 / All programmes · Primary."""
        parts = [self.label("programme", key.programme, lang), *(self.label(d, c, lang) for d, c in key.dims)]
        return " · ".join(parts)

    def describe(self, key: CellKey, lang: str, *, base: str = DEFAULT_BASE_URL) -> dict | None:
        """Everything a result shows, as text in ``lang``."""
        cell = self.get(key)
        if cell is None:
            return None
        fig = BY_KEY[key.figure]
        k = self.release.k
        withheld = cell["status"] != "published" or _missing(cell["value"])
        url = permalink(key, release_id=self.release.id, lang=lang, base=base)
        return {
            "figure": fig.name(lang),
            "scope": self.scope(key, lang),
            "period": formatting.period(key.period, lang),
            "value": formatting.cell(key.figure, cell["value"], cell["status"], lang, k, reason=cell["reason"]),
            "unit": t(f"unit.{fig.unit}", lang),
            "definition": fig.definition(lang),
            "as_of": formatting.date(self.release.as_of, lang),
            "release": self.release.id,
            "status": cell["status"],
            "withheld": formatting.reason(cell["reason"] or "primary", lang, k) if withheld else "",
            "url": url,
            "citation": citation(self, key, lang, base=base),
        }


def citation(index: Index, key: CellKey, lang: str, *, base: str = DEFAULT_BASE_URL) -> str:
    """A ready citation: source, figure, scope, period, value, as-of, release and permalink."""
    cell = index.get(key)
    release = index.release
    return t(
        "find.citation",
        lang,
        source=t("app.title", lang),
        figure=BY_KEY[key.figure].name(lang),
        scope=index.scope(key, lang),
        period=formatting.period(key.period, lang),
        value=formatting.cell(key.figure, cell["value"], cell["status"], lang, release.k, reason=cell["reason"]),
        as_of=formatting.date(release.as_of, lang),
        release=release.id,
        url=permalink(key, release_id=release.id, lang=lang, base=base),
    )


def figure_names() -> list[str]:
    """Every figure name in both languages (for the search box's hint)."""
    return [f.name(lang) for f in FIGURES for lang in ("zh", "en")]
