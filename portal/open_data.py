"""Open data: the published store for programs (``portal.api`` serves it over HTTP,
``portal figures`` prints the same documents). No Streamlit and no web framework here.

One declaration of the query parameters (``PARAMETERS``) drives their validation, the CLI's
filters and the OpenAPI description, so the three cannot disagree. A parameter that is not
one the release offers is refused with ``BadParameter`` naming it, never ignored: a program
that misspells ``stage=primry`` must not get every stage back and believe it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from portal import export, periods, queries
from portal.export import LICENCE_URL
from portal.figures import BY_KEY, FIGURES
from portal.i18n import LANGS, norm_lang, t
from portal.queries import ReleaseInfo
from portal.vocab import DIMENSIONS, VOCAB_DIMENSIONS, vocabularies, vocabulary

VALUE_MAX = 200  # characters of one parameter's value; nothing the release offers is longer
LIST_MAX = 40  # values in one comma-separated parameter
NO_BREAKDOWN = "none"  # by=none: the totals only


@dataclass(frozen=True)
class Parameter:
    name: str
    description_en: str
    many: bool = False  # a comma-separated list
    example: str | None = None


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("figure", "Figure keys (see /api/v1/glossary).", many=True, example="funds_raised"),
    Parameter("programme", "A programme's code, or 'all' for all programmes together.", example="all"),
    Parameter("period", "Period keys of the fixed grid: all, 2023, 2023-Q4, 2023-12.", many=True, example="2023"),
    Parameter(
        "by",
        "The breakdown: dimensions that must be set (every other one empty); 'none' for totals only.",
        many=True,
        example="stage",
    ),
    *(Parameter(d, f"Only cells whose {d} is this code.", example=None) for d in DIMENSIONS),
    Parameter("release", "A release id (see /api/v1/releases); the current release when absent.", example=None),
    Parameter("lang", "zh or en: names (in the cells of /figures) and error messages in that language.", example="en"),
    Parameter(
        "ptype", "Embeds without 'by': the period type the trend runs over (year, quarter, month).", example="year"
    ),
    Parameter("chart", "Embeds without 'by': 'line' (default) or 'grouped' (bars side by side).", example="line"),
)
EMBED_ONLY = ("ptype", "chart")
BY_NAME = {p.name: p for p in PARAMETERS}
FIGURE_QUERY = tuple(name for name in BY_NAME if name not in EMBED_ONLY)  # what /api/v1/figures takes


class BadParameter(ValueError):
    """A query parameter the API refuses: which one, and a message key of messages.toml."""

    def __init__(self, parameter: str, reason: str, **values):
        super().__init__(f"{parameter}: {reason}")
        self.parameter, self.reason, self.values = parameter, reason, values

    def document(self, lang: str) -> dict:
        name = shown(self.parameter)
        message = t(f"api.{self.reason}", lang, parameter=name, **self.values)
        return {"error": {"parameter": name, "reason": self.reason, "message": message}}


@dataclass(frozen=True)
class CellFilter:
    """Which cells a query asks for; hashable, so a response is cached by it."""

    figures: tuple[str, ...] = ()
    programme: str | None = None
    periods: tuple[str, ...] = ()
    by: tuple[str, ...] | None = None  # None: any breakdown; (): totals only
    where: tuple[tuple[str, str], ...] = ()

    def apply(self, cells: pd.DataFrame) -> pd.DataFrame:
        """The breakdown and dimension conditions on cells already read by figure, programme
        and period (``queries.cells`` does those three in SQL)."""
        mask = pd.Series(True, index=cells.index)
        fixed = dict(self.where)
        for dim in DIMENSIONS:
            if dim in fixed:
                mask &= cells[dim] == fixed[dim]
            elif self.by is not None:
                mask &= cells[dim].notna() if dim in self.by else cells[dim].isna()
        return cells[mask].reset_index(drop=True)


def language(params: Mapping[str, str]) -> str:
    """The language of labels and error messages: ?lang= when valid, else the default."""
    return norm_lang(params.get("lang"))


def _values(name: str, raw: str) -> list[str]:
    values = raw.split(",") if BY_NAME[name].many else [raw]
    if len(values) > LIST_MAX:
        raise BadParameter(name, "too_many", max=LIST_MAX)
    if any(not v for v in values):
        raise BadParameter(name, "empty")
    return values


def _one_of(name: str, value: str, allowed) -> str:
    if value not in allowed:
        raise BadParameter(name, "unknown_value", value=shown(value))
    return value


def shown(value: str) -> str:
    """A refused value said back: printable and short (it came from anyone's URL)."""
    text = "".join(c if c.isprintable() else "?" for c in value)
    return text if len(text) <= 40 else text[:40] + "…"


def parse(
    params: Mapping[str, str], *, names: Mapping[tuple[str, str], tuple[str, str]], allowed=FIGURE_QUERY
) -> CellFilter:
    """The filter a query string asks for. ``names``: the release's programme and region
    labels, ``(dimension, code) -> (zh, en)``; ``allowed``: the parameters this route takes."""
    for name, raw in params.items():
        if name not in allowed:
            raise BadParameter(name, "unknown_parameter", allowed=", ".join(allowed))
        if not isinstance(raw, str) or len(raw) > VALUE_MAX:
            raise BadParameter(name, "too_long", max=VALUE_MAX)
    if "lang" in params:
        _one_of("lang", params["lang"], LANGS)
    figures = (
        tuple(_one_of("figure", f, BY_KEY) for f in _values("figure", params["figure"])) if "figure" in params else ()
    )
    programme = params.get("programme")
    if programme is not None:
        _one_of("programme", programme, {"all", *(c for d, c in names if d == "programme")})
    keys = tuple(_values("period", params["period"])) if "period" in params else ()
    for key in keys:
        if periods.period_type(key) is None:  # off the fixed grid: no such cell can exist
            raise BadParameter("period", "unknown_value", value=shown(key))
    by = None
    if "by" in params:
        wanted = _values("by", params["by"])
        by = () if wanted == [NO_BREAKDOWN] else tuple(_one_of("by", d, DIMENSIONS) for d in wanted)
    where = []
    for dim in DIMENSIONS:
        if dim in params:
            codes = vocabulary(dim).codes if dim in VOCAB_DIMENSIONS else {c for d, c in names if d == dim}
            where.append((dim, _one_of(dim, params[dim], codes)))
    return CellFilter(figures, programme, keys, by, tuple(where))


def shown_release(engine, settings) -> ReleaseInfo | None:
    """The release the portal shows: the newest one built under a key this deployment trusts
    (``portal.serve`` refuses to start when there is none)."""
    from portal import pseudonym, stores

    if not stores.is_initialised(engine):
        return None
    release, _ = queries.trusted_release(
        engine=engine, trusted=lambda fp: not pseudonym.untrusted_release(fp, settings)
    )
    return release


def names_of(labels: pd.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
    return {(r.dimension, r.code): (r.name_zh, r.name_en) for r in labels.itertuples()}


def select(engine, release_id: str, wanted: CellFilter) -> pd.DataFrame:
    """The release's cells a filter asks for, in the store's order (as ``portal figures``)."""
    cells = queries.cells(
        engine=engine,
        release_id=release_id,
        figures=wanted.figures or None,
        programme=wanted.programme,
        periods=wanted.periods or None,
    )
    return wanted.apply(cells)


# ---------------------------------------------------------------- documents


def release_document(release: ReleaseInfo, *, current: bool | None = None) -> dict:
    document = {
        "id": release.id,
        "as_of": release.as_of.isoformat(),
        "published_at": _instant(release.created_at),
        "k": release.k,
        "note": release.note,
        "is_sample": bool(release.is_sample),
    }
    if current is not None:
        document["current"] = current
    return document


def _instant(value: dt.datetime) -> str:
    """An ISO 8601 instant; stores keep UTC without a zone (SQLite has none)."""
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def releases_document(releases: list[ReleaseInfo], current_id: str | None) -> dict:
    return {"current": current_id, "releases": [release_document(r, current=r.id == current_id) for r in releases]}


def figures_json(release: ReleaseInfo, cells: pd.DataFrame, labels: pd.DataFrame, lang: str | None) -> str:
    """``portal figures --format json``: the release and its cells; with ``lang``, each cell
    also carries the names of its figure and codes in that language."""
    return export.to_json(release, cells, labels=labels if lang else None, lang=lang)


def glossary_document(names: Mapping[tuple[str, str], tuple[str, str]] | None = None) -> dict:
    """Every figure's meaning and every vocabulary's labels; with ``names``, the release's own
    programmes and regions too."""
    document = {
        "figures": [
            {
                "key": f.key,
                "name": {"zh": f.name_zh, "en": f.name_en},
                "definition": {"zh": f.definition_zh, "en": f.definition_en},
                "unit": f.unit,
                "unit_label": {lang: t(f"unit.{f.unit}", lang) for lang in LANGS},
                "decimals": f.decimals,
                "breakdowns": [list(b) for b in f.breakdowns],
                "to_date": f.to_date,
            }
            for f in FIGURES
        ],
        "vocabularies": {
            key: {
                "name": {"zh": v.name_zh, "en": v.name_en},
                "codes": [{"code": term.code, "zh": term.zh, "en": term.en} for term in v.terms],
            }
            for key, v in vocabularies().items()
        },
    }
    for dim in ("programme", "region"):
        codes = sorted(c for d, c in (names or {}) if d == dim)
        document[f"{dim}s"] = [{"code": c, "zh": names[(dim, c)][0], "en": names[(dim, c)][1]} for c in codes]
    return document


_FIELD_TYPES = {"value": "number"}


def datapackage(release: ReleaseInfo, *, csv_url: str, portal_url: str) -> dict:
    """A Frictionless Data package describing the release's CSV (``/api/v1/figures.csv``)."""
    columns = export.labelled_columns()
    fields = [
        {"name": c, "type": _FIELD_TYPES.get(c, "string"), "description": t(f"api.field.{_field_kind(c)}", "en")}
        for c in columns
    ]
    return {
        "profile": "tabular-data-package",
        "name": f"open-figures-{release.id}".lower().replace(".", "-"),
        "title": t("app.title", "zh") + " / " + t("app.title", "en"),
        "version": release.id,
        "created": _instant(release.created_at),
        "homepage": portal_url,
        "licenses": [{"name": "CC-BY-4.0", "path": LICENCE_URL, "title": t("xlsx.licence_text", "en")}],
        "sources": [{"title": t("app.title", "en"), "path": portal_url}],
        "resources": [
            {
                "name": "cells",
                "path": csv_url,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "schema": {"fields": fields, "missingValues": [""]},
                "description": t("api.field.withheld_note", "en", k=release.k),
            }
        ],
        "as_of": release.as_of.isoformat(),
        "units": {f.key: f.unit for f in FIGURES},
    }


def _field_kind(column: str) -> str:
    if column.endswith("_name_zh") or column.endswith("_name_en"):
        return "name"
    return column if column in ("figure", "programme", "period", "value", "unit", "status", "reason") else "dimension"


def dumps(document) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def examples(base: str) -> dict[str, str]:
    """The calls the "Open data" page shows, runnable as they are against ``base``."""
    figures = f"{base}/api/v1/figures"
    return {
        "curl": "\n".join(
            (
                f"curl '{base}/api/v1/releases'",
                f"curl '{figures}?figure=funds_raised&period=2023&by=none&lang=en'",
                f"curl -o cells.csv '{figures}.csv?figure=funds_disbursed&by=stage'",
            )
        ),
        "pandas": "\n".join(
            (
                "import pandas as pd",
                "",
                f'cells = pd.read_csv("{figures}.csv?figure=children_served&by=region")',
                'published = cells[cells["status"] == "published"]  # withheld cells have no value',
                'print(published[["programme", "period", "region_name_zh", "value"]])',
            )
        ),
    }
