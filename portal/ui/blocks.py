"""The blocks a page lays out: headline metrics with their change, and chart blocks (the
chart, its text description, its table twin and one downloads control), each built once per
view (``store.per_view``) and drawn from then on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from portal import board as boards
from portal import charts, formatting, queries
from portal import embed as embeds
from portal.figures import BY_KEY
from portal.i18n import join, t
from portal.ui import store
from portal.ui.files import base_url, chart_exports, downloads_menu, downloads_only
from portal.ui.state import comparable_previous, context, markdown_text, present, trend_periods


def per_view(key: str, build: Callable[[], Any]) -> Any:
    """What ``build`` returns for this view, built once (``store.per_view``): a page's own
    views, tables and captions, which it would otherwise compute again on every run."""
    return store.per_view(context().identity("page", key), build)


def headline_row(frame: pd.DataFrame, figures: tuple[str, ...], *, where: dict | None = None) -> None:
    """The headline figures the programme has, side by side, each with its change vs the
    prior period."""
    shown = present(figures)
    if not shown:
        return
    for figure, column in zip(shown, st.columns(len(shown)), strict=True):
        metric(frame, figure, where=where, container=column)


def metric(frame: pd.DataFrame, figure: str, *, where: dict | None = None, container=None) -> None:
    """A headline number with its change vs the previous period (both published cells)."""
    block = ("metric", figure, tuple(sorted((where or {}).items())))
    label, text, delta, help_text = store.per_view(context().identity(*block), lambda: _metric(frame, figure, where))
    (container or st).metric(label, text, delta=delta, help=help_text)


def _metric(frame: pd.DataFrame, figure: str, where: dict | None) -> tuple[str, str, str | None, str]:
    ctx = context()
    fig = BY_KEY[figure]
    now = charts.select(frame, figure, ctx.period, where=where)
    prev_key = comparable_previous(ctx)
    prev = charts.select(frame, figure, prev_key, where=where) if prev_key else now.iloc[0:0]
    if now.empty:
        return fig.name(ctx.lang), absent_text(frame, figure, where), None, fig.definition(ctx.lang)
    row = now.iloc[0]
    text = formatting.cell(figure, row["value"], row["status"], ctx.lang, ctx.k, reason=row["reason"])
    delta = None
    if not prev.empty and row["status"] == "published" and prev.iloc[0]["status"] == "published":
        # one rule for a change, the board's: a rate moves in percentage points (+6.2 pp, not +6.2%)
        diff, _ = boards.difference(figure, float(prev.iloc[0]["value"]), float(row["value"]), ctx.lang)
        delta = f"{diff} {t('overview.change', ctx.lang, previous=ctx.period_name(prev_key))}"
    help_text = fig.definition(ctx.lang)
    if row["status"] != "published":
        help_text += "\n\n" + formatting.reason(row["reason"] or "primary", ctx.lang, ctx.k)
    return fig.name(ctx.lang), text, delta, help_text


def absent_text(frame: pd.DataFrame, figure: str, where: dict | None = None) -> str:
    """Words for a headline with no cell (``formatting.absent``)."""
    ctx = context()
    ratio = BY_KEY[figure].ratio
    denominator = bool(ratio) and not charts.select(frame, ratio[1], ctx.period, where=where).empty
    return formatting.absent(figure, ctx.lang, denominator=denominator)


@dataclass(frozen=True)
class Drawn:
    """What a chart block shows: the Vega-Lite spec, its datasets as Arrow IPC (what Streamlit
    sends the browser), its text description, the table twin and the cells its downloads hold."""

    spec: dict
    arrow: dict[str, bytes]
    caption: str
    table: pd.DataFrame
    view: pd.DataFrame
    title: str
    embed: str = ""  # the chart's /embed/ address (path and query) for other sites, or none
    table_arrow: Any = None  # the table twin as the Arrow table st.table sends (built once)


def draw(
    chart, view: pd.DataFrame, *, caption: str, dimension: str | None, total_note: bool, embed: str = ""
) -> Drawn | None:
    ctx = context()
    if view.empty:
        return None
    if callable(chart) and not isinstance(chart, alt.TopLevelMixin):
        chart = chart()
    # Altair's JSON-schema validation is skipped: the chart code is fixed, and
    # tests/test_charts.py validates every chart it builds
    spec = chart.to_dict(validate=False)
    if total_note:
        caption = t("chart.description_withheld", ctx.lang, caption=caption)
    spec["description"] = caption  # the chart's text alternative (vega-embed's aria-label)
    annotated = charts.annotate(view, dimension, ctx.lang, ctx.k, ctx.names)
    title = getattr(chart, "title", None)
    # Streamlit converts a spec's datasets to Arrow on every draw unless they already are
    datasets = spec.get("datasets", {})
    arrow = {name: dataframe_util.convert_anything_to_arrow_bytes(data) for name, data in datasets.items()}
    table = charts.table(annotated, dimension, ctx.lang)
    return Drawn(
        spec=spec,  # with the data as JSON too, for the PNG/SVG exports
        arrow=arrow,
        caption=caption,
        table=table,
        # st.table converts a DataFrame to Arrow on every draw; from an Arrow table it only
        # writes the bytes (the same bytes: this is its own conversion)
        table_arrow=dataframe_util.convert_pandas_df_to_arrow_table(table),
        view=view[list(queries.CELL_COLUMNS)].reset_index(drop=True),
        title=title if isinstance(title, str) and title else caption,
        embed=embed,
    )


def embed_address(figures: list[str], *, by: str | None = None, where: dict | None = None, chart: str = "line") -> str:
    """The /embed/ address of a chart of this view (``portal.embed`` draws it from the same cells)."""
    ctx = context()
    view = {"lang": ctx.lang, "programme": ctx.programme, "period": ctx.period, "ptype": ctx.ptype}
    return embeds.embed_url("", figures, by=by, where=where, chart=chart, **view)


def chart_block(
    chart,
    view: pd.DataFrame,
    *,
    key: str,
    caption: str,
    dimension: str | None,
    total_note: bool = False,
    heading: str | None = None,
    embed: str = "",
) -> None:
    """A chart with its text description, table twin and CSV/XLSX of exactly this view.
    ``chart`` may be a function building it: it is then called only when the view is new.
    ``embed``: its /embed/ address (``embed_address``), when other sites may show it."""
    drawn = store.per_view(
        context().identity(key),
        lambda: draw(chart, view, caption=caption, dimension=dimension, total_note=total_note, embed=embed),
    )
    show(drawn, key=key, heading=heading)


def show(drawn: Drawn | str | None, *, key: str, heading: str | None = None, titled: bool = True) -> None:
    """Draw a chart block built by ``draw``; a chart with nothing to draw is a sentence.
    ``heading``: the block's section heading, which then stands for the chart's title on the
    page (the same words twice, heading and title, read as a stutter; exports keep the title).
    ``titled=False``: something else names the chart on the page (a tab's label)."""
    ctx = context()
    if heading:
        st.header(heading)
    if drawn is None or isinstance(drawn, str):
        st.info(drawn or t("notice.no_data_view", ctx.lang))
        return
    _chart(drawn, titled=titled and not heading)
    st.caption(markdown_text(drawn.caption))  # it names the programme: text, not markup
    # the table twin and ONE downloads control side by side, a row even on a phone (four
    # full-width buttons under every chart made the funds page 4,967 px tall at 390 px)
    with st.container(horizontal=True, gap="small", vertical_alignment="top"):
        _table_twin(drawn)
        downloads_menu(key, lambda: _downloads(drawn, key))


def _downloads(drawn: Drawn, key: str) -> None:
    downloads_only(drawn.view, key=key)
    chart_exports(drawn.spec, key=key, title=drawn.title)
    if drawn.embed:
        _embed_code(drawn)


def _embed_code(drawn: Drawn) -> None:
    """The <iframe> a newsroom pastes (the code block's copy button takes it whole)."""
    lang = context().lang
    url = base_url() + drawn.embed
    st.caption(f"{t('embed.control', lang)} · [{t('embed.preview', lang)}]({url})")
    st.code(embeds.iframe(url, drawn.title), language=None)  # no syntax colours: they fail contrast


def _chart(drawn: Drawn, *, titled: bool = True) -> None:
    # the datasets go as the Arrow IPC built once in draw (Streamlit sends bytes as they are)
    spec = {**drawn.spec, "datasets": dict(drawn.arrow)}
    if not titled:
        spec.pop("title", None)
    st.vega_lite_chart(spec, width="stretch")


def _table_twin(drawn: Drawn) -> None:
    with st.expander(t("chart.table_twin", context().lang)):
        table = drawn.table if drawn.table_arrow is None else drawn.table_arrow
        st.table(table, hide_index=True, border="horizontal")  # every row, as text (not a canvas)


def figure_name(figure: str) -> str:
    return BY_KEY[figure].name(context().lang)


def bar_block(
    frame: pd.DataFrame,
    figure: str,
    by: str,
    *,
    key: str,
    title: str,
    where: dict | None = None,
    rank=False,
    heading: bool = False,
    titled: bool = True,
):
    """Bars of a breakdown of the chosen period, with everything chart_block adds; nothing for
    a figure the programme does not have (the page says so once, in ``coverage_notes``)."""
    ctx = context()
    if not ctx.has(figure):
        return
    drawn = store.per_view(ctx.identity(key), lambda: _bar(frame, figure, by, title=title, where=where, rank=rank))
    show(drawn, key=key, heading=title if heading else None, titled=titled)


def lower_in_sentence(name: str, lang: str) -> str:
    """A label inside an English sentence ("by donation channel"); Chinese has no case."""
    return name[:1].lower() + name[1:] if lang == "en" and not name[1:2].isupper() else name


def _bar(
    frame: pd.DataFrame, figure: str, by: str, *, title: str, where: dict | None, rank: bool
) -> Drawn | str | None:
    ctx = context()
    view = charts.select(frame, figure, ctx.period, by=(by,), where=where)
    if view.empty:
        return None
    if (view["status"] == "published").all() and (view["value"] == 0).all():
        return t("chart.all_zero", ctx.lang, figure=BY_KEY[figure].name(ctx.lang), period=ctx.period_name())
    if not (view["status"] == "published").any():  # bars with no bar: an axis of 0.000000
        return t(
            "chart.all_withheld",
            ctx.lang,
            figure=BY_KEY[figure].name(ctx.lang),
            dimension=lower_in_sentence(charts.vocab_name(by, ctx.lang), ctx.lang),
            period=ctx.period_name(),
            n=len(view),
        )
    colors = ctx.region_colors() if by == "region" else None
    chart = charts.bar(view, figure, by, ctx.lang, ctx.k, title=title, names=ctx.names, colors=colors, rank=rank)
    withheld = int((view["status"] != "published").sum())
    caption = t(
        "chart.description_bar",
        ctx.lang,
        programme=ctx.programme_name(),
        period=ctx.period_name(),
        figure=BY_KEY[figure].name(ctx.lang),
        dimension=charts.vocab_name(by, ctx.lang),
        n=len(view),
        withheld=withheld,
    )
    embed = embed_address([figure], by=by, where=where)
    return draw(chart, view, caption=caption, dimension=by, total_note=withheld > 0, embed=embed)


def trend_block(
    frame: pd.DataFrame,
    figures: list[str],
    *,
    key: str,
    title: str,
    where: dict | None = None,
    heading: bool = False,
    titled: bool = True,
):
    """A trend of the figures the programme has (none: nothing is drawn)."""
    ctx = context()
    if not present(figures):
        return
    drawn = store.per_view(ctx.identity(key), lambda: _trend(frame, figures, title=title, where=where))
    show(drawn, key=key, heading=title if heading else None, titled=titled)


def _trend(frame: pd.DataFrame, figures: list[str], *, title: str, where: dict | None) -> Drawn | None:
    ctx = context()
    keys = trend_periods(ctx)
    figures = [f for f in figures if ctx.has(f)]
    if not figures or not keys:
        return None
    view = pd.concat([charts.over_time(frame, f, keys, where=where) for f in figures], ignore_index=True)
    if view.empty:
        return None
    chart = charts.trend(view, ctx.lang, ctx.k, title=title)
    caption = t(
        "chart.description_trend",
        ctx.lang,
        programme=ctx.programme_name(),
        figure=join((BY_KEY[f].name(ctx.lang) for f in figures), ctx.lang),
        ptype=t(f"ptype.{'year' if ctx.ptype == 'all' else ctx.ptype}", ctx.lang),
        n=len(keys),
    )
    return draw(
        chart, view, caption=caption, dimension=None, total_note=False, embed=embed_address(figures, where=where)
    )


def period_texts(frame: pd.DataFrame, figures: tuple[str, ...], *, with_unit: tuple[str, ...] = ()) -> dict[str, str]:
    """Each figure's cell of the chosen period as text, for sentences; counts go in bare (the
    sentence carries 名/人次), ``with_unit`` figures keep their unit. Once per view."""
    ctx = context()

    def build() -> dict[str, str]:
        out = {}
        for figure in figures:
            view = charts.select(frame, figure, ctx.period)
            if view.empty:
                out[figure] = "—"
                continue
            row = view.iloc[0]
            out[figure] = formatting.cell(
                figure,
                row["value"],
                row["status"],
                ctx.lang,
                ctx.k,
                reason=row["reason"],
                with_unit=figure in with_unit,
            )
        return out

    return store.per_view(ctx.identity("texts", figures, with_unit), build)


def sparkline(frame: pd.DataFrame, figure: str, keys: list[str]) -> None:
    """A small trend of one figure (the overview's cards) with its table twin."""
    ctx = context()
    drawn = store.per_view(ctx.identity("sparkline", figure), lambda: _sparkline(frame, figure, keys))
    if drawn is None:
        return
    _chart(drawn)
    _table_twin(drawn)


def _sparkline(frame: pd.DataFrame, figure: str, keys: list[str]) -> Drawn | None:
    ctx = context()
    view = charts.over_time(frame, figure, keys)
    if view.empty:
        return None
    about = t(  # the sparkline's text alternative; its table twin holds the same points
        "chart.description_trend",
        ctx.lang,
        programme=ctx.programme_name(),
        figure=figure_name(figure),
        ptype=t(f"ptype.{'year' if ctx.ptype == 'all' else ctx.ptype}", ctx.lang),
        n=len(keys),
    )
    small = charts.trend(view, ctx.lang, ctx.k, title=t("overview.trend", ctx.lang), small=True)
    return draw(small, view, caption=about, dimension=None, total_note=False)
