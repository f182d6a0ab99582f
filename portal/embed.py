"""A chart for another site's page (``/embed/<figure>``): the same Altair chart the portal's
page draws (``portal.charts``), its title, unit, as-of date and a source line linking back to
the view. No Streamlit and no web framework: ``portal.api`` serves what ``page`` returns.

The page runs no inline script: the spec travels as JSON in a ``<script type="application/json">``
and ``/embed/embed.js`` draws it, so the embed's Content-Security-Policy can forbid inline code."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from urllib.parse import urlencode

import altair as alt
import pandas as pd

from portal import chart_export, charts, formatting, open_data, periods, queries
from portal.figures import BY_KEY
from portal.i18n import LANG_TAGS, t
from portal.vocab import DIMENSIONS

# the portal page that shows a family's figures: the embed's "view on the portal" link
FAMILY_PAGE = {
    "donations": "funds_raised",
    "ledger": "funds_raised",
    "disbursements": "disbursed_by_stage",
    "register": "children_served",
    "service": "volunteers",
}
PARAMS = ("programme", "period", "ptype", "chart", "by", "lang", "release", *DIMENSIONS)
CHARTS = ("line", "grouped")  # a trend's two forms: lines, or bars side by side (charts.grouped)
HEIGHT_PX = 240
IFRAME_HEIGHT_PX = 460


@dataclass(frozen=True)
class Embed:
    lang: str
    title: str
    subtitle: str
    unit: str
    source: str
    url: str  # the portal view this chart is taken from
    spec: dict | None  # None: nothing to draw (``message`` says why)
    message: str
    table: tuple[tuple[str, str, str], ...]  # (label, period, formatted value) rows


def build(engine, release, figure_path: str, params: dict[str, str], *, base_url: str) -> Embed:
    """The embed a URL asks for; ``open_data.BadParameter`` for anything the release lacks."""
    lang = open_data.language(params)
    labels = queries.labels(engine=engine, release_id=release.id)
    names = open_data.names_of(labels)
    wanted = open_data.parse({"figure": figure_path, **params}, names=names, allowed=("figure", *PARAMS))
    if not wanted.figures:
        raise open_data.BadParameter("figure", "empty")
    ptype = params.get("ptype", "year")
    if ptype not in periods.PERIOD_TYPES[1:]:
        raise open_data.BadParameter("ptype", "unknown_value", value=open_data.shown(ptype))
    kind = params.get("chart", "line")
    if kind not in CHARTS:
        raise open_data.BadParameter("chart", "unknown_value", value=open_data.shown(kind))
    if wanted.by and len(wanted.by) > 1:
        raise open_data.BadParameter("by", "one_dimension")
    programme = wanted.programme or "all"
    period = wanted.periods[0] if wanted.periods else periods.ALL
    where = dict(wanted.where)
    cells = queries.cells(engine=engine, release_id=release.id, figures=wanted.figures, programme=programme)
    programme_name = charts.label("programme", programme, lang, names)
    figure = BY_KEY[wanted.figures[0]]
    if wanted.by:
        by = wanted.by[0]
        if (by,) not in figure.breakdowns:  # a chart of a breakdown publish never computed
            raise open_data.BadParameter("by", "not_a_breakdown", value=by, figure=figure.key)
        view = charts.select(cells, figure.key, period, by=(by,), where=where)
        title = t("embed.title_by", lang, figure=figure.name(lang), dimension=charts.vocab_name(by, lang))
        subtitle = f"{programme_name} · {formatting.period(period, lang)}"
        colors = charts.color_map("region", [c for (d, c) in names if d == "region"]) if by == "region" else None
        chart = (
            charts.bar(view, figure.key, by, lang, release.k, title="", names=names, colors=colors)
            if (view["status"] == "published").any()
            else None
        )
        message = "" if chart is not None else _nothing(view, figure, by, period, lang)
        table = _rows(charts.annotate(view, by, lang, release.k, names))
    else:
        coverage = queries.programme_coverage(engine=engine, release_id=release.id, as_of=release.as_of)
        keys = coverage.trend(programme, sorted({p for p in cells["period"] if periods.period_type(p) == ptype}))
        view = pd.concat([charts.over_time(cells, f, keys, where=where) for f in wanted.figures], ignore_index=True)
        figure_names = " / ".join(BY_KEY[f].name(lang) for f in wanted.figures)
        title = t("embed.title_trend", lang, figure=figure_names, ptype=formatting.period_type(ptype, lang))
        subtitle = programme_name
        draw = charts.grouped if kind == "grouped" else charts.trend
        chart = draw(view, lang, release.k, title="") if not view.empty else None
        message = "" if chart is not None else t("notice.no_data_view", lang)
        table = _rows(charts.annotate(view, None, lang, release.k, names))
    url = _portal_url(base_url, figure.family, lang, programme, period, ptype, where)
    spec = None
    if chart is not None:
        spec = chart.properties(width="container", height=HEIGHT_PX).to_dict()
        spec.pop("title", None)  # the page's <h1> is the title: said once, in text a reader can copy
    return Embed(
        lang=lang,
        title=title,
        subtitle=subtitle,
        unit=t(f"unit.{figure.unit}", lang),
        source=chart_export.credits(title=title, lang=lang, release=release).source,
        url=url,
        spec=spec,
        message=message,
        table=table,
    )


def _nothing(view: pd.DataFrame, figure, by: str, period: str, lang: str) -> str:
    if view.empty:
        return t("notice.no_data_view", lang)
    return t(
        "chart.all_withheld",
        lang,
        figure=figure.name(lang),
        dimension=charts.vocab_name(by, lang),
        period=formatting.period(period, lang),
        n=len(view),
    )


def _rows(annotated: pd.DataFrame) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (label or name, period, text)
        for label, name, period, text in zip(
            annotated["label"], annotated["figure_name"], annotated["period_label"], annotated["text"], strict=True
        )
    )


def _portal_url(base: str, family: str, lang: str, programme: str, period: str, ptype: str, where: dict) -> str:
    query = {"lang": lang, "programme": programme, "period": period}
    if period == periods.ALL:
        query["ptype"] = ptype
    if "region" in where:
        query["region"] = where["region"]
    return f"{base}/{FAMILY_PAGE.get(family, '')}?{urlencode(query)}"


def embed_url(
    base: str,
    figures: list[str],
    *,
    lang: str,
    programme: str,
    period: str,
    ptype: str,
    by: str | None,
    where: dict | None = None,
    chart: str = "line",
) -> str:
    """The address of a page chart's embed (what its "Embed" control offers)."""
    query = {"programme": programme, "lang": lang}
    if by:
        query |= {"by": by, "period": period}
    else:
        query["ptype"] = "year" if ptype == "all" else ptype
        if chart != "line":
            query["chart"] = chart
    query |= where or {}
    return f"{base}/embed/{','.join(figures)}?{urlencode(query)}"


def iframe(url: str, title: str) -> str:
    """The code a newsroom pastes into its article."""
    return (
        f'<iframe src="{html.escape(url)}" title="{html.escape(title)}" width="100%" '
        f'height="{IFRAME_HEIGHT_PX}" style="border:0" loading="lazy"></iframe>'
    )


def page(embed: Embed) -> str:
    """The embed as one small HTML document."""
    e = html.escape
    spec = json.dumps(embed.spec, ensure_ascii=False).replace("</", "<\\/") if embed.spec else ""
    chart = (
        f'<div id="chart" role="img" aria-label="{e(embed.title)}"></div>'
        f'<script id="spec" type="application/json">{spec}</script>'
        if embed.spec
        else f'<p class="message">{e(embed.message)}</p>'
    )
    link = e(t("embed.view_on_portal", embed.lang))
    rows = "".join(f"<tr><th scope=row>{e(a)}</th><td>{e(b)}</td><td>{e(c)}</td></tr>" for a, b, c in embed.table)
    return f"""<!doctype html>
<html lang="{LANG_TAGS[embed.lang]}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(embed.title)}</title>
<link rel="canonical" href="{e(embed.url)}">
<style>{_CSS}</style></head>
<body><main>
<h1>{e(embed.title)}</h1>
<p class="subtitle">{e(embed.subtitle)} · {e(t("embed.unit", embed.lang, unit=embed.unit))}</p>
{chart}
<details><summary>{e(t("chart.table_twin", embed.lang))}</summary><table>{rows}</table></details>
<p class="source">{e(embed.source)} · <a href="{e(embed.url)}" target="_blank" rel="noopener">{link}</a></p>
</main><script src="vega.js"></script><script src="embed.js"></script></body></html>"""


_CSS = """
body{margin:0;color:#1a1a1a;background:#fff;
font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif}
main{padding:12px 16px}h1{font-size:1.15rem;margin:0 0 2px}
.subtitle,.source{color:#555;font-size:.85rem;margin:0 0 8px}.source{margin-top:8px}
#chart{width:100%}.message{padding:24px 0}
details{font-size:.85rem}table{border-collapse:collapse}
th,td{padding:2px 8px;text-align:left}td:last-child{text-align:right}
a{color:#0b57d0}
"""

# The one script the embed runs: it draws the spec the page carries with Vega-Embed.
SCRIPT = """
(function(){var s=document.getElementById('spec');if(!s)return;
vegaEmbed('#chart',JSON.parse(s.textContent),{actions:false,renderer:'svg'}).catch(function(e){
document.getElementById('chart').textContent=String(e);});})();
"""


def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed in one script, of the Vega-Lite version Altair writes
    (vl-convert carries them: the embed loads nothing from a CDN)."""
    import vl_convert

    version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return vl_convert.javascript_bundle(vl_version=version)
