"""Altair charts of published cells. Pure: no Streamlit here, so every chart is tested alone.

A chart's data is exactly the cells of its view (``select``), with the labels and formatted
text added beside them; a withheld cell keeps a null value and is drawn as a "少于K" marker,
never as a zero bar. Colours for stages, categories, regions … are derived here, in ONE place,
from vocabulary order and region-code order, on colour-blind-safe palettes."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from portal import formatting
from portal.figures import BY_KEY, FIGURES
from portal.i18n import t
from portal.queries import CELL_COLUMNS
from portal.vocab import DIMENSIONS, label, vocabulary  # label: charts.label, as pages call it

# Okabe & Ito (2008) colour-blind-safe palette, then Tableau10 for vocabularies longer than it.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
TABLEAU10 = (
    "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F",
    "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC",
)  # fmt: skip
SINGLE = "#0072B2"
WITHHELD_GREY = "#6B6B6B"  # 5:1 on the page background, as text needs (WCAG AA)
SPARKLINE_PX = 56
CHART_PADDING = {"top": 8, "left": 6, "right": 6, "bottom": 5}
GUIDE_TEXT = "#565B66"  # axis and legend text, 6.5:1 (Streamlit's chart theme draws them at 3.6:1)


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#RRGGBB``."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _ink(background: str) -> str:
    """Black or white, whichever has the higher contrast on ``background`` (WCAG)."""
    light = _luminance(background)
    return "#000000" if (light + 0.05) / 0.05 >= 1.05 / (light + 0.05) else "#FFFFFF"


# one colour per figure wherever it is drawn (children served is the same green beside
# child-times and beside children in care); figures drawn together have different colours.
# Declared with each figure (``Figure.colour``); this is the registry's, as a map.
FIGURE_COLOURS = {f.key: f.colour for f in FIGURES}


def palette(n: int) -> tuple[str, ...]:
    base = OKABE_ITO[:7] if n <= 7 else TABLEAU10
    return tuple(base[i % len(base)] for i in range(n))


def color_map(dimension: str, codes_in_order: list[str] | None = None) -> dict[str, str]:
    """code -> colour. Vocabularies by their declared order; regions (and programmes) by code
    order of all the release's codes, so a county keeps its colour on every page."""
    codes = sorted(codes_in_order or []) if dimension in ("region", "programme") else list(vocabulary(dimension).codes)
    return dict(zip(codes, palette(len(codes)), strict=True))


def select(cells: pd.DataFrame, figure: str, period: str, by: tuple[str, ...] = (), where: dict | None = None):
    """The cells of one view: a figure in a period, broken down by ``by`` (those dimensions
    set), with ``where`` dimensions fixed, and every other dimension null (no breakdown)."""
    where = where or {}
    mask = (cells["figure"] == figure) & (cells["period"] == period)
    for dim in DIMENSIONS:
        if dim in where:
            mask &= cells[dim] == where[dim]
        elif dim in by:
            mask &= cells[dim].notna()
        else:
            mask &= cells[dim].isna()
    return cells[mask].reset_index(drop=True)


def over_time(cells: pd.DataFrame, figure: str, period_keys: list[str], where: dict | None = None):
    """The total cells of a figure over a list of periods (in that order)."""
    where = where or {}
    mask = (cells["figure"] == figure) & cells["period"].isin(period_keys)
    for dim in DIMENSIONS:
        mask &= (cells[dim] == where[dim]) if dim in where else cells[dim].isna()
    frame = cells[mask]
    order = {key: i for i, key in enumerate(period_keys)}
    frame = frame.iloc[frame["period"].map(order).to_numpy().argsort(kind="stable")]
    return frame.reset_index(drop=True)


def annotate(view: pd.DataFrame, dimension: str | None, lang: str, k: int, names: dict | None = None):
    """The view's cells plus what a reader needs: label, formatted text, status and reason."""
    frame = view[list(CELL_COLUMNS)].copy()
    frame["value"] = frame["value"].where(frame["status"] == "published")
    frame["label"] = [label(dimension, c, lang, names) for c in frame[dimension]] if dimension else [""] * len(frame)
    frame["figure_name"] = [BY_KEY[f].name(lang) for f in frame["figure"]]
    frame["period_label"] = [formatting.period(p, lang) for p in frame["period"]]
    frame["text"] = [
        formatting.cell(f, v, s, lang, k, reason=r)
        for f, v, s, r in zip(frame["figure"], frame["value"], frame["status"], frame["reason"], strict=True)
    ]
    frame["note"] = [
        formatting.reason(r, lang, k) if s != "published" else ""
        for r, s in zip(frame["reason"], frame["status"], strict=True)
    ]
    return frame


def _aria(data: pd.DataFrame, published: bool) -> bool:
    """Whether a layer drawing the published (or the withheld) rows is in the accessibility
    tree: only when it draws something. Vega names each drawn mark after its tooltip, but a
    layer left empty by its filter would be an unnamed graphics-symbol to a screen reader."""
    return bool(((data["status"] == "published") == published).any())


def _described(chart, title: str, description: str | None):
    """The chart's text alternative: vega-embed sets it as the aria-label of the chart; and
    room round the plot for a CJK title's and axis title's full line height (it passed the
    frame by 3-5 px and was cut)."""
    return chart.properties(description=description or title, padding=CHART_PADDING)


def _axis(**kwargs) -> alt.Axis:
    return alt.Axis(labelColor=GUIDE_TEXT, titleColor=GUIDE_TEXT, **kwargs)


def _legend(**kwargs) -> alt.Legend:
    return alt.Legend(labelColor=GUIDE_TEXT, titleColor=GUIDE_TEXT, **kwargs)


def _order(frame: pd.DataFrame, dimension: str) -> list[str]:
    if dimension in ("region", "programme"):
        return list(frame["label"])  # the caller ranks them
    order = {c: i for i, c in enumerate(vocabulary(dimension).codes)}
    return list(frame.assign(_o=frame[dimension].map(order)).sort_values("_o")["label"])


def _tooltip(lang: str, figure: str) -> list:
    return [
        alt.Tooltip("label:N", title=t("col.label", lang)),
        alt.Tooltip("figure_name:N", title=t("col.figure", lang)),
        alt.Tooltip("period_label:N", title=t("filter.period", lang)),
        alt.Tooltip("text:N", title=t("col.value", lang)),
        alt.Tooltip("note:N", title=t("col.note", lang)),
    ]


def _axis_title(figure: str, lang: str, unit: str | None = None) -> str:
    """The figure's name with the unit its axis reads in (``unit``: a money axis's 万元)."""
    fig = BY_KEY[figure]
    unit = unit or t(f"unit.{fig.unit}", lang)
    name = fig.name(lang)
    if name.endswith(("）", ")")):  # 惠及儿童（人） already names its unit
        return name
    return _with_unit(name, unit, lang)


def _with_unit(name: str, unit: str, lang: str) -> str:
    return t("unit.titled", lang, name=name, unit=unit)


def _shared_title(figures: list[str], lang: str) -> str:
    """The value axis title of several figures: what they share (金额 for raised and
    disbursed, then its unit), else their units side by side (人 / 人次)."""
    units = list(dict.fromkeys(BY_KEY[f].unit for f in figures))
    if units == ["yuan"]:
        return t("unit_name.yuan", lang)
    return " / ".join(t(f"unit.{u}", lang) for u in units)


def _value_axis(figure: str, values, lang: str, *, title: str | None = None, **kwargs) -> alt.Axis:
    """An axis that reads in the unit of the labels beside it: a money axis of 4,000,000 yuan
    is "400" under "（万元）" in Chinese (``formatting.money_scale``), CNY in English."""
    if BY_KEY[figure].unit == "fraction":  # a rate reads 25% on its axis, as beside it
        return _axis(title=BY_KEY[figure].name(lang) if title is None else title, format=".0%", **kwargs)
    if BY_KEY[figure].unit != "yuan":
        return _axis(title=_axis_title(figure, lang) if title is None else title, **kwargs)
    top = max((abs(float(v)) for v in values if v is not None and v == v), default=0.0)
    divisor, unit = formatting.money_scale(top, lang)
    if divisor != 1:
        kwargs["labelExpr"] = f"format(datum.value / {int(divisor)}, ',')"
    name = _axis_title(figure, lang, unit) if title is None else _with_unit(title, unit, lang)
    return _axis(title=name, **kwargs)


def bar(
    view: pd.DataFrame,
    figure: str,
    dimension: str,
    lang: str,
    k: int,
    *,
    title: str,
    names: dict | None = None,
    colors: dict[str, str] | None = None,
    rank: bool = False,
    description: str | None = None,
) -> alt.LayerChart:
    """Horizontal bars of one breakdown; withheld parts are a grey "少于K" label at zero."""
    data = annotate(view, dimension, lang, k, names)
    if rank:
        data = data.sort_values("value", ascending=False, na_position="last", kind="stable")
        order = list(data["label"])
    else:
        order = _order(data, dimension)
    colors = colors or color_map(dimension, list(data[dimension].dropna()))
    present = [c for c in colors if c in set(data[dimension])]
    domain = [label(dimension, c, lang, names) for c in present]
    scale = alt.Scale(domain=domain, range=[colors[c] for c in present])
    y = alt.Y("label:N", sort=order, title=None, axis=_axis(labelLimit=160))
    base = alt.Chart(data)
    bars = (
        base.mark_bar(aria=_aria(data, True))
        .encode(
            x=alt.X("value:Q", axis=_value_axis(figure, data["value"], lang)),
            y=y,
            color=alt.Color("label:N", scale=scale, legend=None),
            tooltip=_tooltip(lang, figure),
        )
        .transform_filter("datum.status === 'published'")
    )
    # a long bar carries its value inside its end, in the ink that reads on its colour; a short
    # one beside it: a label past the longest bar ran off a phone's edge
    long_from = 0.6 * float(data["value"].max()) if data["value"].notna().any() else 0.0
    long_bar = f"datum.value >= {long_from} && datum.value > 0"
    data["ink"] = [_ink(colors.get(c, SINGLE)) for c in data[dimension]]
    inside = (
        base.mark_text(align="right", dx=-4, fontSize=11)
        .encode(
            x=alt.X("value:Q"), y=y, text="text:N", color=alt.Color("ink:N", scale=None), tooltip=_tooltip(lang, figure)
        )
        .transform_filter(f"datum.status === 'published' && {long_bar}")
    )
    values = (
        base.mark_text(align="left", dx=3, fontSize=11)
        .encode(x=alt.X("value:Q"), y=y, text="text:N", tooltip=_tooltip(lang, figure))
        .transform_filter(f"datum.status === 'published' && !({long_bar})")
    )
    hidden = (
        base.mark_text(align="left", dx=3, fontStyle="italic", color=WITHHELD_GREY, fontSize=11)
        .encode(x=alt.datum(0), y=y, text="text:N", tooltip=_tooltip(lang, figure))
        .transform_filter("datum.status !== 'published'")
    )
    chart = alt.layer(bars, inside, values, hidden, data=data).properties(
        title=title, height=alt.Step(24), width="container"
    )
    return _described(chart, title, description)


def trend(
    cells_over_time: pd.DataFrame,
    lang: str,
    k: int,
    *,
    title: str,
    small: bool = False,
    description: str | None = None,
) -> alt.LayerChart:
    """A line over periods per figure; withheld periods are gaps with a grey marker, not 0."""
    data = annotate(cells_over_time, None, lang, k)
    data["label"] = data["figure_name"]
    figures = list(dict.fromkeys(data["figure"]))
    names = [BY_KEY[f].name(lang) for f in figures]
    color = alt.Color(
        "figure_name:N",
        scale=alt.Scale(domain=names, range=[BY_KEY[f].colour for f in figures]),
        legend=None if (small or len(figures) == 1) else _legend(orient="bottom", title=None),
    )
    x = alt.X(
        "period:O",
        sort=list(dict.fromkeys(data["period"])),
        title=None,
        axis=None if small else _period_axis(data["period"], lang),
    )
    y_title = None if len(figures) == 1 else _shared_title(figures, lang)
    base = alt.Chart(data)
    # a withheld period is a gap in the line (invalid=None would draw it at zero)
    point = {"aria": _aria(data, True)} if not small else False  # no period published: no points
    line = base.mark_line(point=point, invalid="break-paths-show-domains").encode(
        x=x,
        y=alt.Y(
            "value:Q",
            axis=None if small else _value_axis(figures[0], data["value"], lang, title=y_title),
            scale=alt.Scale(zero=not small),
        ),
        color=color,
        tooltip=_tooltip(lang, figures[0]),
    )
    gaps = (
        base.mark_point(shape="cross", color=WITHHELD_GREY, size=40, aria=_aria(data, False))
        .encode(x=x, y=alt.datum(0), tooltip=_tooltip(lang, figures[0]))
        .transform_filter("datum.status !== 'published'")
    )
    if small:
        # a card's sparkline: no title (the card names the figure; a title inside 70 px left the
        # plot 0 px tall, a flat line) and no zero floor (every headline is published, so
        # there are no gaps to mark at zero), so 673 -> 971 reads as a rise
        chart = alt.layer(line, data=data).properties(width="container", height=SPARKLINE_PX)
        return _described(chart, title, description)
    chart = alt.layer(line, gaps, data=data).properties(title=title, width="container", height=220)
    return _described(chart, title, description)


def _period_axis(period_keys, lang: str) -> alt.Axis:
    """Periods in the page's language (2023年4季度 / Q4 2023, not the key 2023-Q4), upright; where
    they would overlap (quarters on a phone) some are left out (slanted, they pushed the
    chart's title out of its frame)."""
    keys = list(dict.fromkeys(period_keys))
    words = json.dumps({key: formatting.short_period(key, lang) for key in keys}, ensure_ascii=False)
    return _axis(labelAngle=0, labelOverlap="greedy", labelExpr=f"{words}[datum.value]")


def grouped(
    cells_over_time: pd.DataFrame, lang: str, k: int, *, title: str, description: str | None = None
) -> alt.LayerChart:
    """Bars per period, one per figure side by side (e.g. raised vs disbursed)."""
    data = annotate(cells_over_time, None, lang, k)
    data["label"] = data["figure_name"]
    names = list(dict.fromkeys(data["figure_name"]))
    figures = list(dict.fromkeys(data["figure"]))
    x = alt.X(
        "period:O",
        sort=list(dict.fromkeys(data["period"])),
        title=None,
        axis=_period_axis(data["period"], lang),
    )
    color = alt.Color(
        "figure_name:N",
        scale=alt.Scale(domain=names, range=[BY_KEY[f].colour for f in figures]),
        legend=_legend(orient="bottom", title=None),
    )
    base = alt.Chart(data)
    bars = (
        base.mark_bar(aria=_aria(data, True))
        .encode(
            x=x,
            xOffset=alt.XOffset("figure_name:N", sort=names),  # side by side in the legend's order
            y=alt.Y(
                "value:Q",
                axis=_value_axis(data["figure"].iloc[0], data["value"], lang, title=t("unit_name.yuan", lang)),
            ),
            color=color,
            tooltip=_tooltip(lang, data["figure"].iloc[0] if len(data) else "funds_raised"),
        )
        .transform_filter("datum.status === 'published'")
    )
    hidden = (
        base.mark_point(shape="cross", color=WITHHELD_GREY, aria=_aria(data, False))
        .encode(
            x=x,
            xOffset=alt.XOffset("figure_name:N", sort=names),
            y=alt.datum(0),
            tooltip=_tooltip(lang, "funds_raised"),
        )
        .transform_filter("datum.status !== 'published'")
    )
    chart = alt.layer(bars, hidden, data=data).properties(title=title, width="container", height=240)
    return _described(chart, title, description)


def standard_values(standards: pd.DataFrame, stage: str) -> list[float]:
    """The distinct yearly standards of a stage across the programmes given (one per programme
    that pays it; several when all programmes are shown together)."""
    return sorted({float(v) for v in standards.loc[standards["stage"] == stage, "yearly_yuan"]})


def stage_average(
    view: pd.DataFrame,
    standards: pd.DataFrame,
    lang: str,
    k: int,
    *,
    title: str,
    description: str | None = None,
    per_year: int | None = 1,
) -> alt.LayerChart:
    """Average per child by stage (bars) beside each stage's standard (ticks): the yearly
    standard for a year, its quarter's or month's share for a quarter or a month (``per_year``
    4 or 12), so like is set beside like; no ticks for all time. All programmes together draw
    one tick per distinct programme standard."""
    data = annotate(view, "stage", lang, k)
    ticks = []
    for stage, name in zip(data["stage"], data["label"], strict=True):
        for yearly in standard_values(standards, stage) if per_year else []:
            ticks.append(
                {"label": name, "standard": yearly / per_year, "standard_text": _standard_text(yearly, per_year, lang)}
            )
    ticks = pd.DataFrame(ticks, columns=["label", "standard", "standard_text"])
    single = ticks.drop_duplicates("label", keep=False).set_index("label")
    data["standard"] = [single["standard"].get(name) for name in data["label"]]
    order = _order(data, "stage")
    colors = color_map("stage")
    present = [c for c in colors if c in set(data["stage"])]
    scale = alt.Scale(domain=[label("stage", c, lang) for c in present], range=[colors[c] for c in present])
    y = alt.Y("label:N", sort=order, title=None, axis=_axis())
    # room to the right of the longest bar or tick, so a tick at the end is not cut in half
    top = max([*data["value"].dropna(), *ticks["standard"], 1.0]) * 1.08
    x = alt.X("value:Q", axis=_value_axis("average_per_child", [top], lang), scale=alt.Scale(domain=[0, top]))
    standard_name = t("col.standard" if per_year == 1 else "chart.standard_share", lang, n=per_year or 1)
    bars = (
        alt.Chart()
        .mark_bar(aria=_aria(data, True))
        .encode(
            x=x, y=y, color=alt.Color("label:N", scale=scale, legend=None), tooltip=_tooltip(lang, "average_per_child")
        )
        .transform_filter("datum.status === 'published'")
    )
    marks = alt.Chart(ticks).mark_tick(color="#000000", thickness=3, size=22, aria=not ticks.empty)
    marks = marks.encode(
        x=alt.X("standard:Q", scale=alt.Scale(domain=[0, top])),
        y=y,
        tooltip=[
            alt.Tooltip("label:N", title=t("col.label", lang)),
            alt.Tooltip("standard_text:N", title=standard_name),
        ],
    )
    hidden = (
        alt.Chart()
        .mark_text(align="left", dx=3, fontStyle="italic", color=WITHHELD_GREY)
        .encode(x=alt.datum(0), y=y, text="text:N", tooltip=_tooltip(lang, "average_per_child"))
        .transform_filter("datum.status !== 'published'")
    )
    chart = alt.layer(bars, marks, hidden, data=data).properties(title=title, width="container", height=alt.Step(26))
    return _described(chart, title, description)


def _standard_text(yearly: float, per_year: int, lang: str) -> str:
    if per_year == 1:
        return formatting.money(yearly, lang)
    return t(
        "chart.standard_share_text",
        lang,
        share=formatting.money(yearly / per_year, lang),
        yearly=formatting.money(yearly, lang),
        n=per_year,
    )


def table(view_annotated: pd.DataFrame, dimension: str | None, lang: str) -> pd.DataFrame:
    """The table twin of a chart: the same rows, formatted, with status and reason."""
    first = t("filter.period", lang) if dimension is None else vocab_name(dimension, lang)
    return pd.DataFrame(
        {
            first: view_annotated["period_label"] if dimension is None else view_annotated["label"],
            t("col.figure", lang): view_annotated["figure_name"],
            t("col.value", lang): view_annotated["text"],
            t("col.status", lang): [
                t("cell.status_published", lang) if s == "published" else t("cell.status_withheld", lang)
                for s in view_annotated["status"]
            ],
            t("col.note", lang): view_annotated["note"],
        }
    )


def vocab_name(dimension: str, lang: str) -> str:
    if dimension == "region":
        return t("filter.region", lang)
    if dimension == "programme":
        return t("filter.programme", lang)
    return vocabulary(dimension).name(lang)
