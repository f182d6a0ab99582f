"""The ONE module that owns Streamlit state and caching: the read-only engine
(``st.cache_resource``), published cells cached per release id (bounded ``st.cache_data``),
the URL-bound filters, the shared chrome (language, as-of line, sample and staleness notices)
and the chart block (chart, caption, table twin, CSV and XLSX of exactly that view)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from portal import charts, downloads, formatting, periods, queries
from portal.db import is_sqlite, make_engine
from portal.i18n import LANGS, t
from portal.settings import get_settings

log = logging.getLogger("portal.ui")

PARAMS = ("lang", "programme", "ptype", "period", "region")
REGION_PAGES = frozenset({"disbursed_by_stage", "children_served", "volunteers"})
STALE_AFTER_DAYS = 92  # charities disclose progress at least every three months


# ---------------------------------------------------------------- cached store access


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    return make_engine(url, read_only=True)


def _url() -> str:
    return get_settings().published_store_url


@st.cache_data(ttl=30, show_spinner=False, max_entries=4)
def _release(url: str) -> dict | None:
    """The current release as a plain dict, or None when the store is missing or empty."""
    if is_sqlite(url):
        from sqlalchemy.engine import make_url

        database = make_url(url).database
        if not database or not Path(database).exists():
            return None
    try:
        release = queries.current_release(engine=_engine(url))
    except Exception:  # no schema yet, unreachable server: the friendly empty page says what to do
        log.warning("published store not readable", exc_info=True)
        return None
    if release is None:
        return None
    return {
        "id": release.id,
        "as_of": release.as_of,
        "k": release.k,
        "is_sample": bool(release.is_sample),
        "created_at": release.created_at,
        "note": release.note,
    }


@st.cache_data(max_entries=256, show_spinner=False)
def _cells(url: str, release_id: str, figures: tuple[str, ...], programme: str, period_keys: tuple[str, ...]):
    frame = queries.cells(
        engine=_engine(url), release_id=release_id, figures=figures, programme=programme, periods=period_keys
    )
    # plain object columns: pages filter these frames many times a run, and pandas' Arrow-backed
    # strings make every boolean filter a costly take
    text = [c for c in frame.columns if c != "value"]
    return frame.astype({c: object for c in text})


@st.cache_data(max_entries=16, show_spinner=False)
def _labels(url: str, release_id: str) -> pd.DataFrame:
    return queries.labels(engine=_engine(url), release_id=release_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _standards(url: str, release_id: str) -> pd.DataFrame:
    return queries.standards(engine=_engine(url), release_id=release_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _periods(url: str, release_id: str) -> list[str]:
    return queries.periods(engine=_engine(url), release_id=release_id)


@st.cache_data(max_entries=64, show_spinner=False)
def _regions(url: str, release_id: str, programme: str) -> list[str]:
    return queries.regions(engine=_engine(url), release_id=release_id, programme=programme)


@st.cache_data(max_entries=16, show_spinner=False)
def _history(url: str, release_id: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    engine = _engine(url)
    rels = queries.releases(engine=engine)
    frame = pd.DataFrame(
        [(r.id, r.created_at, r.as_of, r.k, r.is_sample, r.note) for r in rels],
        columns=["id", "created_at", "as_of", "k", "is_sample", "note"],
    )
    return (
        frame,
        queries.release_batches(engine=engine, release_id=release_id),
        queries.corrections(engine=engine),
    )


# ---------------------------------------------------------------- the view a visitor chose


@dataclass
class Context:
    lang: str
    page: str
    release: dict
    programme: str
    ptype: str
    period: str
    region: str | None
    names: dict = field(default_factory=dict)
    all_periods: list[str] = field(default_factory=list)
    region_codes: list[str] = field(default_factory=list)

    @property
    def k(self) -> int:
        return self.release["k"]

    def programme_name(self) -> str:
        if self.programme == "all":
            return t("filter.all_programmes", self.lang)
        return charts.label("programme", self.programme, self.lang, self.names)

    def period_name(self, key: str | None = None) -> str:
        return formatting.period(key or self.period, self.lang)

    def region_name(self, code: str | None = None) -> str:
        return charts.label("region", code or self.region, self.lang, self.names)

    def periods_of_type(self, ptype: str | None = None) -> list[str]:
        kind = ptype or self.ptype
        return [p for p in self.all_periods if periods.period_type(p) == kind]

    def region_colors(self) -> dict[str, str]:
        return charts.color_map("region", [c for (d, c) in self.names if d == "region"])


def context() -> Context:
    return st.session_state["_portal_ctx"]


def language() -> str:
    """The language radio (中文 / English), bound to ?lang=; called by the router first."""
    if "w_lang" not in st.session_state:
        raw = st.query_params.get("lang")
        st.session_state["w_lang"] = raw if raw in LANGS else "zh"
    st.sidebar.radio(
        t("app.lang_switch", "zh"),
        LANGS,
        format_func=lambda code: "中文" if code == "zh" else "English",
        key="w_lang",
        horizontal=True,
    )
    return st.session_state["w_lang"]


def _first_run_params(all_periods: list[str], programmes: list[str], regions: list[str], notices: list[str], lang: str):
    """Read the URL once per session into widget state; unknown or malformed values are
    ignored with a notice (the period grid is fixed: a free range or unknown period is rejected)."""
    qp = {k: st.query_params.get(k) for k in st.query_params}
    unknown = sorted(k for k in qp if k not in PARAMS)
    if unknown:
        notices.append(t("notice.unknown_param", lang, names=", ".join(f"`{k[:40]}`" for k in unknown)))
    if qp.get("lang") not in (None, *LANGS):
        notices.append(t("notice.bad_value", lang, name="lang"))
    programme = qp.get("programme", "all")
    if programme not in ("all", *programmes):
        notices.append(t("notice.bad_value", lang, name="programme"))
        programme = "all"
    period = qp.get("period")
    ptype = qp.get("ptype")
    if ptype is not None and ptype not in periods.PERIOD_TYPES:
        notices.append(t("notice.bad_value", lang, name="ptype"))
        ptype = None
    if period is not None and period not in all_periods:
        notices.append(t("notice.bad_value", lang, name="period"))
        period = None
    if period is not None:
        ptype = periods.period_type(period)
    if ptype is None:
        ptype = "year"
    if period is None:
        of_type = [p for p in all_periods if periods.period_type(p) == ptype]
        period = of_type[-1] if of_type else "all"
        if not of_type:
            ptype = "all"
    st.session_state["w_programme"] = programme
    st.session_state["w_ptype"] = ptype
    st.session_state["w_period"] = period
    region = qp.get("region") or ""
    if region and region not in regions:
        notices.append(t("notice.bad_value", lang, name="region"))
        region = ""
    st.session_state["_region"] = region


def chrome(page: str) -> Context | None:
    """Sidebar filters bound to the URL, the as-of line and the notices; None when there is
    nothing published yet (the friendly empty page has then been drawn)."""
    lang = st.session_state.get("w_lang", "zh")
    release = _release(_url())
    if release is None:
        empty_store(lang)
        return None
    url = _url()
    all_periods = _periods(url, release["id"])
    labels = _labels(url, release["id"])
    names = {(r.dimension, r.code): (r.name_zh, r.name_en) for r in labels.itertuples()}
    programmes = sorted(c for (d, c) in names if d == "programme")
    notices: list[str] = []
    if "_portal_init" not in st.session_state:
        regions = [c for (d, c) in names if d == "region"]
        _first_run_params(all_periods, programmes, regions, notices, lang)
        st.session_state["_portal_init"] = True

    side = st.sidebar
    side.subheader(t("filter.heading", lang))
    side.selectbox(
        t("filter.programme", lang),
        ["all", *programmes],
        format_func=lambda c: (
            t("filter.all_programmes", lang) if c == "all" else charts.label("programme", c, lang, names)
        ),
        key="w_programme",
    )
    side.selectbox(
        t("filter.period_type", lang), periods.PERIOD_TYPES, format_func=lambda c: t(f"ptype.{c}", lang), key="w_ptype"
    )
    ptype = st.session_state["w_ptype"]
    options = [p for p in all_periods if periods.period_type(p) == ptype][::-1] or ["all"]
    if st.session_state.get("w_period") not in options:
        st.session_state["w_period"] = options[0]
    if ptype != "all":
        side.selectbox(
            t("filter.period", lang), options, format_func=lambda p: formatting.period(p, lang), key="w_period"
        )
    programme = st.session_state["w_programme"]
    region = None
    region_codes = _regions(url, release["id"], programme) if page in REGION_PAGES else []
    if page in REGION_PAGES:
        counties = list(region_codes)
        # the region survives pages without the filter in a plain key (widget state is dropped
        # when its widget is not drawn)
        st.session_state["w_region"] = st.session_state.get("w_region", st.session_state.get("_region", ""))
        if st.session_state.get("w_region") not in ("", *counties):
            st.session_state["w_region"] = ""  # a county of another programme: all counties
        side.selectbox(
            t("filter.region", lang),
            ["", *counties],
            format_func=lambda c: t("filter.all_regions", lang) if c == "" else charts.label("region", c, lang, names),
            key="w_region",
        )
        region = st.session_state["w_region"] or None
        st.session_state["_region"] = st.session_state["w_region"]
    side.caption(t("filter.permalink", lang))

    ctx = Context(
        lang=lang,
        page=page,
        release=release,
        programme=programme,
        ptype=ptype,
        period=st.session_state["w_period"],
        region=region,
        names=names,
        all_periods=all_periods,
        region_codes=region_codes,
    )
    _write_params(ctx)
    st.session_state["_portal_ctx"] = ctx
    for notice in notices:
        st.info(notice)
    _banners(ctx)
    return ctx


def _write_params(ctx: Context) -> None:
    wanted = {"lang": ctx.lang, "programme": ctx.programme, "ptype": ctx.ptype, "period": ctx.period}
    if ctx.region:
        wanted["region"] = ctx.region
    current = {k: st.query_params.get(k) for k in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)


def _banners(ctx: Context) -> None:
    release = ctx.release
    as_of = formatting.date(release["as_of"], ctx.lang)
    if release["is_sample"]:
        st.warning(t("notice.sample", ctx.lang), icon=":material/science:")
    if (dt.date.today() - release["as_of"]).days > STALE_AFTER_DAYS:
        st.warning(t("notice.stale", ctx.lang, as_of=as_of), icon=":material/schedule:")
    st.caption(t("notice.as_of", ctx.lang, as_of=as_of, release=release["id"], k=release["k"]))


def empty_store(lang: str) -> None:
    st.title(t("empty.title", lang))
    st.write(t("empty.body", lang))
    st.code(t("empty.steps", lang), language="bash")


def run_guarded(page, key: str) -> None:
    """Draw the chrome, then the page; an exception becomes a friendly message, never a
    traceback (st.stop/rerun are BaseExceptions and pass through)."""
    try:
        if chrome(key) is not None:
            page.run()
    except Exception:
        log.exception("page failed")
        st.error(t("app.error", st.session_state.get("w_lang", "zh")))


# ---------------------------------------------------------------- data for pages


def cells(figures: tuple[str, ...] | list[str], period_keys: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
    """Published cells of the chosen programme (cached per release id)."""
    ctx = context()
    keys = tuple(period_keys) if period_keys is not None else (ctx.period,)
    return _cells(_url(), ctx.release["id"], tuple(figures), ctx.programme, keys)


def standards() -> pd.DataFrame:
    ctx = context()
    frame = _standards(_url(), ctx.release["id"])
    return frame[frame["programme"] == ctx.programme] if ctx.programme != "all" else frame.iloc[0:0]


def labels() -> pd.DataFrame:
    return _labels(_url(), context().release["id"])


def history() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return _history(_url(), context().release["id"])


def previous_of(ctx: Context) -> list[str]:
    """The period before the chosen one (for the change shown beside a headline), if any."""
    prev = periods.previous(ctx.period) if ctx.period != "all" else None
    return [prev] if prev else []


def trend_periods(ctx: Context) -> list[str]:
    """The periods a trend runs over: every period of the chosen type (years when 'all')."""
    kind = "year" if ctx.ptype == "all" else ctx.ptype
    return ctx.periods_of_type(kind)


# ---------------------------------------------------------------- blocks a page lays out


def metric(frame: pd.DataFrame, figure: str, *, where: dict | None = None, container=None) -> None:
    """A headline number with its change vs the previous period (both published cells)."""
    ctx = context()
    box = container or st
    from portal.figures import BY_KEY

    fig = BY_KEY[figure]
    now = charts.select(frame, figure, ctx.period, where=where)
    prev_key = periods.previous(ctx.period) if ctx.period != "all" else None
    prev = charts.select(frame, figure, prev_key, where=where) if prev_key else now.iloc[0:0]
    if now.empty:
        box.metric(fig.name(ctx.lang), "—", help=fig.definition(ctx.lang))
        return
    row = now.iloc[0]
    text = formatting.cell(figure, row["value"], row["status"], ctx.lang, ctx.k)
    delta = None
    if not prev.empty and row["status"] == "published" and prev.iloc[0]["status"] == "published":
        diff = float(row["value"]) - float(prev.iloc[0]["value"])
        sign = "+" if diff >= 0 else "-"
        change = t("overview.change", ctx.lang, previous=ctx.period_name(prev_key))
        delta = f"{sign}{formatting.value(figure, abs(diff), ctx.lang)} {change}"
    help_text = fig.definition(ctx.lang)
    if row["status"] != "published":
        help_text += "\n\n" + formatting.reason(row["reason"] or "primary", ctx.lang, ctx.k)
    box.metric(fig.name(ctx.lang), text, delta=delta, help=help_text)


def has_withheld_parts(frame: pd.DataFrame, figure: str, by: tuple[str, ...], where: dict | None = None) -> bool:
    ctx = context()
    parts = charts.select(frame, figure, ctx.period, by=by, where=where)
    return bool((parts["status"] != "published").any())


def _unvalidated(chart):
    """The chart with Altair's JSON-schema validation skipped when Streamlit serialises it (a
    quarter of a page's time): our chart code is fixed, and tests/test_charts.py validates
    every chart it builds."""
    object.__setattr__(chart, "to_dict", functools.partial(type(chart).to_dict, chart, validate=False))
    return chart


def chart_block(
    chart,
    view: pd.DataFrame,
    *,
    key: str,
    caption: str,
    dimension: str | None,
    total_note: bool = False,
) -> None:
    """A chart with its text description, table twin and CSV/XLSX of exactly this view."""
    ctx = context()
    if view.empty:
        st.info(t("notice.no_data_view", ctx.lang))
        return
    st.altair_chart(_unvalidated(chart), width="stretch")
    note = f" {t('cell.includes_withheld', ctx.lang)}。" if total_note and ctx.lang == "zh" else ""
    if total_note and ctx.lang != "zh":
        note = f" ({t('cell.includes_withheld', ctx.lang)})"
    st.caption(caption + note)
    annotated = charts.annotate(view, dimension, ctx.lang, ctx.k, ctx.names)
    with st.expander(t("chart.table_twin", ctx.lang)):
        st.dataframe(charts.table(annotated, dimension, ctx.lang), hide_index=True, width="stretch")
    downloads_only(view, key=key)


def downloads_only(view: pd.DataFrame, *, key: str) -> None:
    """CSV and XLSX buttons holding exactly the cells of ``view`` (the same export as
    ``portal figures``)."""
    ctx = context()
    raw = view[list(queries.CELL_COLUMNS)]
    name = f"{ctx.release['id']}_{key}_{ctx.programme}_{ctx.period}"
    view_name = f"{key} · {ctx.programme_name()} · {ctx.period_name()}"
    left, right = st.columns(2)
    left.download_button(
        t("chart.download_csv", ctx.lang),
        data=lambda: downloads.csv_bytes(raw, labels()),  # built on click, not on every run
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv_{key}",
        width="stretch",
    )
    right.download_button(
        t("chart.download_xlsx", ctx.lang),
        data=lambda: downloads.xlsx_bytes(raw, labels(), release=ctx.release, lang=ctx.lang, view=view_name),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{key}",
        width="stretch",
    )


def figure_name(figure: str) -> str:
    from portal.figures import BY_KEY

    return BY_KEY[figure].name(context().lang)


def bar_block(
    frame: pd.DataFrame, figure: str, by: str, *, key: str, title: str, where: dict | None = None, rank=False
):
    """Bars of a breakdown of the chosen period, with everything chart_block adds."""
    from portal.figures import BY_KEY

    ctx = context()
    view = charts.select(frame, figure, ctx.period, by=(by,), where=where)
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
    chart_block(chart, view, key=key, caption=caption, dimension=by, total_note=withheld > 0)


def trend_block(frame: pd.DataFrame, figures: list[str], *, key: str, title: str, where: dict | None = None):
    from portal.figures import BY_KEY

    ctx = context()
    keys = trend_periods(ctx)
    view = pd.concat([charts.over_time(frame, f, keys, where=where) for f in figures], ignore_index=True)
    chart = charts.trend(view, ctx.lang, ctx.k, title=title)
    caption = t(
        "chart.description_trend",
        ctx.lang,
        programme=ctx.programme_name(),
        figure="、".join(BY_KEY[f].name(ctx.lang) for f in figures)
        if ctx.lang == "zh"
        else ", ".join(BY_KEY[f].name(ctx.lang) for f in figures),
        ptype=t(f"ptype.{'year' if ctx.ptype == 'all' else ctx.ptype}", ctx.lang),
        n=len(keys),
    )
    chart_block(chart, view, key=key, caption=caption, dimension=None)
