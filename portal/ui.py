"""The ONE module that owns Streamlit state and caching: the read-only engine
(``st.cache_resource``), published cells cached per release id (bounded ``st.cache_data``),
the URL-bound filters, the shared chrome (language, as-of line, sample and staleness notices)
and the chart block (chart, caption, table twin, CSV and XLSX of exactly that view)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from portal import charts, downloads, formatting, params, periods, pseudonym, queries, stores
from portal.coverage import ACTIVE_DAYS, Coverage, families_text
from portal.db import is_sqlite, make_engine
from portal.i18n import LANGS, t
from portal.settings import get_settings

log = logging.getLogger("portal.ui")

# the parameters each page reads from its URL, and how: portal/params.py
PARAMS, PAGE_PARAMS = params.PARAMS, params.PAGE_PARAMS
NO_FILTER_PAGES, REGION_PAGES = params.NO_FILTER_PAGES, params.REGION_PAGES
STALE_AFTER_DAYS = ACTIVE_DAYS  # charities disclose progress at least every three months
LANG_TAGS = {"zh": "zh-CN", "en": "en"}  # BCP 47, as <html lang> wants
# A figure is never cut to "1,558 volun…": a metric's value, delta and note wrap instead of
# ending in an ellipsis (Streamlit's default), on every page and the projector. The element
# holding this style and the page-language script takes no room in the layout.
METRIC_CSS = """<style>
[data-testid="stMetric"] .stMarkdownEllipsis, [data-testid="stMetric"] .stMarkdownEllipsis p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMetric"] div:has(> [data-testid="stMetricDelta"]) { flex-wrap: wrap; }
/* a number is never broken across lines ("CNY 23,759,866.0" / "0"): it breaks at spaces only */
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
  overflow-wrap: normal !important; word-break: normal !important; }
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] script) { display: none; }
@media (max-width: 640px) {  /* a phone: headline figures a size smaller, so a page is less of a scroll */
  [data-testid="stMetricValue"] { font-size: 1.8rem; }
}
[data-testid="stCaptionContainer"] code { color: inherit; }  /* 4.5:1, like the caption's words */
/* a wide table scrolls sideways with its first column in place */
[data-testid="stTable"] tbody th, [data-testid="stTable"] thead th:first-child {
  position: sticky; left: 0; z-index: 1; background: var(--st-background-color, #fbfaf7); }
</style>"""


# ---------------------------------------------------------------- cached store access


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    return make_engine(url, read_only=True)


def _url() -> str:
    return get_settings().published_store_url


@st.cache_data(ttl=30, show_spinner=False, max_entries=4)
def _release(url: str) -> dict | None:
    """The release to show as a plain dict: the newest one built under a key this deployment
    trusts (a newer untrusted one is passed over and named in the log); the newest of all when
    none is trusted (``_untrusted`` then refuses it); None when the store is missing or empty."""
    if is_sqlite(url):
        from sqlalchemy.engine import make_url

        database = make_url(url).database
        if not database or not Path(database).exists():
            return None
    settings = get_settings()
    try:
        engine = _engine(url)
        if not stores.is_initialised(engine):  # created, never published to: the empty page
            return None
        release, skipped = queries.trusted_release(
            engine=engine, trusted=lambda fp: not pseudonym.untrusted_release(fp, settings)
        )
    except Exception as exc:  # a corrupt file, a server down: not "no data yet"
        raise StoreUnavailable(type(exc).__name__) from exc
    if skipped and release is not None:
        log.error(
            "passing over release(s) %s built under an untrusted key (%s); showing release %s",
            ", ".join(r.id for r in skipped),
            ", ".join(sorted({r.key_fingerprint or "none" for r in skipped})),
            release.id,
        )
    release = release or (skipped[0] if skipped else None)
    if release is None:
        return None
    return {
        "id": release.id,
        "as_of": release.as_of,
        "k": release.k,
        "is_sample": bool(release.is_sample),
        "created_at": release.created_at,
        "note": release.note,
        "key_fingerprint": release.key_fingerprint,
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


@st.cache_data(max_entries=16, show_spinner=False)
def _coverage(url: str, release_id: str, as_of: dt.date) -> Coverage:
    engine = _engine(url)
    return queries.programme_coverage(engine=engine, release_id=release_id, as_of=as_of)


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
    coverage: Coverage  # what each programme has reported
    names: dict = field(default_factory=dict)
    all_periods: list[str] = field(default_factory=list)  # the periods this programme has data for
    region_codes: list[str] = field(default_factory=list)

    @property
    def k(self) -> int:
        return self.release["k"]

    def has(self, figure: str) -> bool:
        """Whether the chosen programme has this figure at all (its kind of data, not all zero)."""
        return self.coverage.has(self.programme, figure)

    def families(self) -> frozenset[str]:
        return self.coverage.families(self.programme)

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


FILTERS_PX = 360  # the filters' control: "筛选：全部项目 · 2023年第4季度" on one line, on a phone too
# this run's top bar (a script run is one thread): the filters' place, drawn by ``chrome``
_run = threading.local()


def language() -> str:
    """The bar at the top of every page: the filters' control (``chrome`` fills it) and the
    language radio (中文 / English), bound to ?lang=; called by the router first. At the top,
    not in the sidebar, so a phone shows them without opening anything."""
    if "w_lang" not in st.session_state:
        st.session_state["w_lang"] = params.language(st.query_params)
    bar = st.container(horizontal=True, vertical_alignment="top", horizontal_alignment="distribute", key="top_bar")
    _run.filters = bar.container(width=FILTERS_PX)
    bar.radio(
        t("app.lang_switch", "zh"),
        LANGS,
        format_func=lambda code: "中文" if code == "zh" else "English",
        key="w_lang",
        horizontal=True,
        label_visibility="collapsed",  # 中文 / English say what they are; the label stays for screen readers
        width="content",
    )
    return st.session_state["w_lang"]


def _filters_place():
    """Where this run's filters go: the top bar's slot (the sidebar outside the router)."""
    return getattr(_run, "filters", None) or st.sidebar


def _first_run_params(
    all_periods: list[str], programmes: list[str], regions: list[str], lang: str, page: str, coverage: Coverage
):
    """Read the URL once per session into widget state (``params.read``): a refused value
    gets a notice and the default, and (but on find and receipt) is taken out of the URL.
    The notices are drawn here, on every page, find and receipt included (they draw no
    filters)."""
    query = {k: st.query_params.get(k) for k in st.query_params}
    parsed = params.read(
        query,
        page=page,
        all_periods=all_periods,
        programmes=programmes,
        regions=regions,
        default_period=lambda programme, ptype: coverage.default_period(programme, ptype, all_periods),
    )
    for key, values in parsed.notices:
        st.info(t(key, lang, **values))
    for key in parsed.drop:
        if key in st.query_params:
            del st.query_params[key]
    st.session_state["w_programme"] = parsed.programme
    st.session_state["w_ptype"] = parsed.ptype
    st.session_state["w_period"] = parsed.period
    st.session_state["_region"] = parsed.region


def chrome(page: str) -> Context | None:
    """The filters bound to the URL (one control at the top of the page), the as-of line and
    the notices; None when there is nothing published yet (the friendly empty page is drawn)."""
    lang = st.session_state.get("w_lang", "zh")
    release = _release(_url())
    if release is None:
        empty_store(lang)
        return None
    url = _url()
    release_periods = _periods(url, release["id"])
    labels = _labels(url, release["id"])
    names = {(r.dimension, r.code): (r.name_zh, r.name_en) for r in labels.itertuples()}
    coverage = _coverage(url, release["id"], release["as_of"])
    # a programme with no data at all has nothing to show: it is not offered
    programmes = [c for c in sorted(c for (d, c) in names if d == "programme") if c in coverage.spans]
    if "_portal_init" not in st.session_state:
        regions = [c for (d, c) in names if d == "region"]
        _first_run_params(release_periods, programmes, regions, lang, page, coverage)
        st.session_state["_portal_init"] = True

    if page in NO_FILTER_PAGES:  # keep the filters' values for the next page, draw none
        for key in ("w_programme", "w_ptype", "w_period"):
            st.session_state[key] = st.session_state.get(key, "all")
        return _finish(
            page,
            lang,
            release,
            names,
            release_periods,
            st.session_state["w_programme"],
            st.session_state["w_period"],
            coverage,
        )
    # the view is settled before anything is drawn, so the filters' button can name it
    if st.session_state.get("w_programme") not in ("all", *programmes):
        st.session_state["w_programme"] = "all"
    ptype = st.session_state["w_ptype"]
    all_periods = coverage.periods(st.session_state["w_programme"], release_periods)
    options = [p for p in all_periods if periods.period_type(p) == ptype][::-1] or ["all"]
    wanted = st.session_state.get("w_period")
    if wanted not in options:
        shown = coverage.default_period(st.session_state["w_programme"], ptype, release_periods)
        st.session_state["w_period"] = shown
        if wanted in release_periods and periods.period_type(wanted) == ptype:  # kept from another programme
            _outside_notice(coverage, st.session_state["w_programme"], wanted, shown, lang, names)
    now = st.session_state["w_programme"]
    view = " · ".join(
        (
            t("filter.all_programmes", lang) if now == "all" else charts.label("programme", now, lang, names),
            formatting.period(st.session_state["w_period"], lang),
        )
    )
    # an expander, not a popover: a popover's body sits at the end of the document, so Tab
    # from its button went on through the page instead of into the filters
    # the label is markdown: the programme's name (from a staff file) goes in as text
    label = t("filter.button", lang, view=markdown_text(view))
    side = _filters_place().expander(label, icon=":material/tune:", key="filters")
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
        coverage=coverage,
    )
    return _settle(ctx)


def _outside_notice(coverage: Coverage, programme: str, wanted: str, shown: str, lang: str, names: dict) -> None:
    first, last = coverage.first_day(programme), coverage.last_day(programme)
    if first is None:
        return
    st.info(
        t(
            "coverage.outside",
            lang,
            programme=params.escape_markdown(charts.label("programme", programme, lang, names)),
            period=formatting.period(wanted, lang),
            first=formatting.date(first, lang),
            last=formatting.date(last, lang),
            shown=formatting.period(shown, lang),
        )
    )


def _finish(page, lang, release, names, all_periods, programme, period, coverage) -> Context:
    """The context of a page without filters (find, receipt): the language in the URL, the
    page's own parameters left as they are."""
    ctx = Context(
        lang=lang,
        page=page,
        release=release,
        programme=programme if ("programme", programme) in names else "all",
        ptype=periods.period_type(period) or "all",
        period=period if period in all_periods else "all",
        region=None,
        names=names,
        all_periods=all_periods,
        coverage=coverage,
    )
    return _settle(ctx)


def _write_params(ctx: Context) -> None:
    current = {k: st.query_params.get(k) for k in st.query_params}
    own = PAGE_PARAMS.get(ctx.page, ())
    if ctx.page in NO_FILTER_PAGES:
        wanted = {k: v for k, v in current.items() if k in PARAMS or k in own}
        wanted["lang"] = ctx.lang
    else:
        wanted = {"lang": ctx.lang, "programme": ctx.programme, "ptype": ctx.ptype, "period": ctx.period}
        if ctx.region:
            wanted["region"] = ctx.region
        wanted.update({k: v for k, v in current.items() if k in own})
    if current != wanted:
        st.query_params.from_dict(wanted)


def _settle(ctx: Context) -> Context:
    """The view's context kept for the page, its URL written, the page's style and notices."""
    _write_params(ctx)
    st.session_state["_portal_ctx"] = ctx
    # in the sidebar: the pages' own area carries no script at all (what a hostile link might
    # inject is looked for there), and the style applies to the whole page wherever it sits
    st.sidebar.html(METRIC_CSS + _page_language(ctx.lang), unsafe_allow_javascript=True)
    if not (ctx.page == "board" and projector_on()):  # a slide has the as-of in its bar
        _banners(ctx)
    return ctx


def _page_language(lang: str) -> str:
    """A script giving the page its language, for screen readers and the browser (Streamlit
    writes lang="en" and an English skip link whatever the page says)."""
    skip = json.dumps(t("app.skip_to_content", lang))
    # a block, so that the script can run again on every rerun without redeclaring its names
    return (
        f"<script>{{ document.documentElement.lang = {json.dumps(LANG_TAGS[lang])};"
        f"const skip = document.querySelector('[data-testid=\"stSkipToContent\"]');"
        f"if (skip) skip.textContent = {skip}; }}</script>"
    )


def _banners(ctx: Context) -> None:
    """One banner at most: sample data says so (its dates are made up, so it is never called
    stale); real data more than three months old says that."""
    release = ctx.release
    as_of = formatting.date(release["as_of"], ctx.lang)
    if release["is_sample"]:
        st.warning(t("notice.sample", ctx.lang), icon=":material/science:")
    elif (dt.date.today() - release["as_of"]).days > STALE_AFTER_DAYS:
        st.warning(t("notice.stale", ctx.lang, as_of=as_of), icon=":material/schedule:")
    st.caption(t("notice.as_of", ctx.lang, as_of=as_of, release=release["id"], k=release["k"]))


def empty_store(lang: str) -> None:
    st.title(t("empty.title", lang))
    st.write(t("empty.body", lang))
    st.code(t("empty.steps", lang), language="bash")


class StoreUnavailable(Exception):
    """The published store exists but cannot be read (a corrupt file, a server down)."""


def _untrusted() -> bool:
    """A release built under a key this deployment does not trust is not shown at all (the
    server refuses to start on one; this covers a store swapped while it runs)."""
    release = _release(_url())
    if release is None or not pseudonym.untrusted_release(release["key_fingerprint"], get_settings()):
        return False
    log.error("refusing release %s: key fingerprint %s is not trusted", release["id"], release["key_fingerprint"])
    st.error(t("app.untrusted", st.session_state.get("w_lang", "zh")))
    return True


def run_guarded(page, key: str) -> None:
    """Draw the chrome, then the page; an exception becomes a friendly message, never a
    traceback (st.stop/rerun are BaseExceptions and pass through)."""
    try:
        if _untrusted():
            return
        if chrome(key) is not None:
            page.run()
    except StoreUnavailable:
        from portal.cli import _safe_url

        log.error("published store %s unreadable", _safe_url(_url()), exc_info=True)
        st.error(t("app.unavailable", st.session_state.get("w_lang", "zh")))
    except Exception:
        log.exception("page failed")
        st.error(t("app.error", st.session_state.get("w_lang", "zh")))


# ---------------------------------------------------------------- data for pages


def cells(figures: tuple[str, ...] | list[str], period_keys: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
    """Published cells of the chosen programme (cached per release id)."""
    ctx = context()
    keys = tuple(period_keys) if period_keys is not None else (ctx.period,)
    return _cells(_url(), ctx.release["id"], tuple(figures), ctx.programme, keys)


def page_top(title_key: str) -> dict | None:
    """A page's title and, where a county is chosen, the notice that the page shows it; returns
    the county filter its views apply (or None)."""
    ctx = context()
    st.title(t(title_key, ctx.lang))
    if not ctx.region:
        return None
    st.caption(t("notice.region_breakdown", ctx.lang, region=markdown_text(ctx.region_name())))
    return {"region": ctx.region}


def page_cells(figures: tuple[str, ...], *, trend: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """A page's cells: the chosen period, the one before (for the change beside a headline) and,
    with ``trend``, the periods its trends run over (returned too, in order)."""
    ctx = context()
    keys = trend_periods(ctx) if trend else []
    return cells(figures, sorted({*keys, ctx.period, *previous_of(ctx)})), keys


def markdown_text(text: str) -> str:
    """Text (a sentence holding names from staff files) shown inside markdown as itself."""
    return params.escape_markdown(text)


def present(figures) -> tuple[str, ...]:
    """The figures the chosen programme has at all (a volunteer-only programme raises nothing)."""
    ctx = context()
    return tuple(f for f in figures if ctx.has(f))


def coverage_notes(figures, *, period: str | None = None) -> bool:
    """What a page says about the view before its figures: in one line, what the programme
    does not do where some of the page's figures are not its; for all programmes, which
    programmes have not reported for the period yet. False when the page has nothing to show."""
    ctx = context()
    if len(present(figures)) < len(tuple(figures)):
        line = families_text(ctx.families(), ctx.lang, programme=ctx.programme)
        if line:
            st.info(line, icon=":material/info:")
    period = period or ctx.period
    if ctx.programme == "all":
        waiting = ctx.coverage.pending(period)
        if waiting:
            items = [
                t(
                    "coverage.pending_item",
                    ctx.lang,
                    name=params.escape_markdown(charts.label("programme", p, ctx.lang, ctx.names)),
                    as_of=formatting.date(ctx.coverage.last_day(p), ctx.lang),
                )
                for p in waiting
            ]
            separator = t("coverage.item_separator", ctx.lang)
            st.info(t("coverage.pending", ctx.lang, period=ctx.period_name(period), programmes=separator.join(items)))
    elif (last := ctx.coverage.last_day(ctx.programme)) and last < ctx.release["as_of"]:
        st.caption(t("coverage.programme_as_of", ctx.lang, as_of=formatting.date(last, ctx.lang)))
    return bool(present(figures))


def headline_row(frame: pd.DataFrame, figures: tuple[str, ...], *, where: dict | None = None) -> None:
    """The headline figures the programme has, side by side, each with its change vs the
    prior period."""
    shown = present(figures)
    if not shown:
        return
    for figure, column in zip(shown, st.columns(len(shown)), strict=True):
        metric(frame, figure, where=where, container=column)


def standards() -> pd.DataFrame:
    """The standards the view's averages may be set beside (``board.comparable_standards``)."""
    from portal import board

    ctx = context()
    return board.comparable_standards(_standards(_url(), ctx.release["id"]), ctx.coverage, ctx.programme)


def labels() -> pd.DataFrame:
    return _labels(_url(), context().release["id"])


def history() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return _history(_url(), context().release["id"])


def previous_of(ctx: Context) -> list[str]:
    """The period a headline's change is taken against (``comparable_previous``), if any."""
    prev = comparable_previous(ctx)
    return [prev] if prev else []


def trend_periods(ctx: Context) -> list[str]:
    """The periods a trend runs over: every period of the chosen type (years when 'all') the
    programme has data for, up to the last one every programme of the view has reported."""
    kind = "year" if ctx.ptype == "all" else ctx.ptype
    keys = ctx.periods_of_type(kind)
    return ctx.coverage.trend(ctx.programme, keys)


def comparable_previous(ctx: Context) -> str | None:
    """The period a headline's change is taken against, where it compares like with like."""
    prev = periods.previous(ctx.period) if ctx.period != "all" else None
    if prev is None or not ctx.coverage.comparable(ctx.programme, ctx.period, prev):
        return None
    return prev


# ---------------------------------------------------------------- blocks a page lays out


def metric(frame: pd.DataFrame, figure: str, *, where: dict | None = None, container=None) -> None:
    """A headline number with its change vs the previous period (both published cells)."""
    block = ("metric", figure, tuple(sorted((where or {}).items())))
    label, text, delta, help_text = _per_view(_identity(context(), *block), lambda: _metric(frame, figure, where))
    (container or st).metric(label, text, delta=delta, help=help_text)


def _metric(frame: pd.DataFrame, figure: str, where: dict | None) -> tuple[str, str, str | None, str]:
    from portal.figures import BY_KEY

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
        from portal import board

        # one rule for a change, the board's: a rate moves in percentage points (+6.2 pp, not +6.2%)
        diff, _ = board.difference(figure, float(prev.iloc[0]["value"]), float(row["value"]), ctx.lang)
        delta = f"{diff} {t('overview.change', ctx.lang, previous=ctx.period_name(prev_key))}"
    help_text = fig.definition(ctx.lang)
    if row["status"] != "published":
        help_text += "\n\n" + formatting.reason(row["reason"] or "primary", ctx.lang, ctx.k)
    return fig.name(ctx.lang), text, delta, help_text


def absent_text(frame: pd.DataFrame, figure: str, where: dict | None = None) -> str:
    """Words for a headline with no cell (``formatting.absent``)."""
    from portal.figures import BY_KEY

    ctx = context()
    ratio = BY_KEY[figure].ratio
    denominator = bool(ratio) and not charts.select(frame, ratio[1], ctx.period, where=where).empty
    return formatting.absent(figure, ctx.lang, denominator=denominator)


def has_withheld_parts(frame: pd.DataFrame, figure: str, by: tuple[str, ...], where: dict | None = None) -> bool:
    ctx = context()
    parts = charts.select(frame, figure, ctx.period, by=by, where=where)
    return bool((parts["status"] != "published").any())


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


@st.cache_data(max_entries=4096, show_spinner=False)
def _per_view(identity: tuple, _build: Callable[[], Any]) -> Any:
    """What ``_build`` returns, once per ``identity``: everything ``_build`` reads (store,
    release, the visitor's view, the block). ``_build`` is not hashed (its leading underscore).
    Building charts and picking headline cells was most of a page's CPU time; with this a
    page seen before is drawn from dictionaries."""
    return _build()


def _identity(ctx: Context, *block) -> tuple:
    release = ctx.release
    return (_url(), release["id"], release["created_at"], ctx.page, ctx.programme, ctx.ptype, ctx.period, ctx.region,
            ctx.lang, *block)  # fmt: skip


def _draw(chart, view: pd.DataFrame, *, caption: str, dimension: str | None, total_note: bool) -> Drawn | None:
    ctx = context()
    if view.empty:
        return None
    if callable(chart) and not isinstance(chart, alt.TopLevelMixin):
        chart = chart()
    note = f" {t('cell.includes_withheld', ctx.lang)}。" if total_note and ctx.lang == "zh" else ""
    if total_note and ctx.lang != "zh":
        note = f" ({t('cell.includes_withheld', ctx.lang)})"
    # Altair's JSON-schema validation is skipped: the chart code is fixed, and
    # tests/test_charts.py validates every chart it builds
    spec = chart.to_dict(validate=False)
    spec["description"] = caption + note  # the chart's text alternative (vega-embed's aria-label)
    annotated = charts.annotate(view, dimension, ctx.lang, ctx.k, ctx.names)
    title = getattr(chart, "title", None)
    # Streamlit converts a spec's datasets to Arrow on every draw unless they already are
    datasets = spec.get("datasets", {})
    arrow = {name: dataframe_util.convert_anything_to_arrow_bytes(data) for name, data in datasets.items()}
    return Drawn(
        spec=spec,  # with the data as JSON too, for the PNG/SVG exports
        arrow=arrow,
        caption=caption + note,
        table=charts.table(annotated, dimension, ctx.lang),
        view=view[list(queries.CELL_COLUMNS)].reset_index(drop=True),
        title=title if isinstance(title, str) and title else caption,
    )


def chart_block(
    chart,
    view: pd.DataFrame,
    *,
    key: str,
    caption: str,
    dimension: str | None,
    total_note: bool = False,
    heading: str | None = None,
) -> None:
    """A chart with its text description, table twin and CSV/XLSX of exactly this view.
    ``chart`` may be a function building it: it is then called only when the view is new."""
    drawn = _per_view(
        _identity(context(), key),
        lambda: _draw(chart, view, caption=caption, dimension=dimension, total_note=total_note),
    )
    show(drawn, key=key, heading=heading)


def show(drawn: Drawn | str | None, *, key: str, heading: str | None = None, titled: bool = True) -> None:
    """Draw a chart block built by ``_draw``; a chart with nothing to draw is a sentence.
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
        with downloads_menu(key):
            downloads_only(drawn.view, key=key)
            chart_exports(drawn.spec, key=key, title=drawn.title)


def downloads_menu(key: str):
    """The one control that holds a view's downloads (CSV, Excel, PNG, SVG): an expander, so
    its buttons follow it in the Tab order (a popover's body sits at the document's end)."""
    return st.expander(
        t("chart.downloads", context().lang), icon=":material/download:", key=f"downloads_{key}", width=DOWNLOADS_PX
    )


def _chart(drawn: Drawn, *, titled: bool = True) -> None:
    # the datasets go as the Arrow IPC built once in _draw (Streamlit sends bytes as they are)
    spec = {**drawn.spec, "datasets": dict(drawn.arrow)}
    if not titled:
        spec.pop("title", None)
    st.vega_lite_chart(spec, width="stretch")


def _table_twin(drawn: Drawn) -> None:
    with st.expander(t("chart.table_twin", context().lang)):
        st.table(drawn.table, hide_index=True, border="horizontal")  # every row, as text (not a canvas)


def downloads_only(view: pd.DataFrame, *, key: str) -> None:
    """CSV and XLSX buttons holding exactly the cells of ``view`` (the same export as
    ``portal figures``), one under the other (they live in ``downloads_menu``)."""
    ctx = context()
    columns = list(queries.CELL_COLUMNS)
    raw = view if list(view.columns) == columns else view[columns]
    name = f"{ctx.release['id']}_{key}_{ctx.programme}_{ctx.period}"
    view_name = f"{key} · {ctx.programme_name()} · {ctx.period_name()}"
    # the files are built on click, on another thread where st.session_state is not
    # reachable: everything they need is resolved here, in the script run
    url, release, lang = _url(), ctx.release, ctx.lang
    _download(
        st,
        t("chart.download_csv", ctx.lang),
        lambda: downloads.csv_bytes(raw, _labels(url, release["id"])),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv_{key}",
        width="stretch",
    )
    _download(
        st,
        t("chart.download_xlsx", ctx.lang),
        lambda: downloads.xlsx_bytes(raw, _labels(url, release["id"]), release=release, lang=lang, view=view_name),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{key}",
        width="stretch",
    )


def _download(where, label: str, build, *, file_name: str, mime: str, key: str, **options) -> None:
    """A download button whose file ``build()`` makes on click. ``on_click="ignore"``: a click
    must not rerun the page, as a rerun replaces the button's deferred file id while the
    click is still fetching the old one, and the download then fails (seen in CI)."""
    where.download_button(label, data=build, file_name=file_name, mime=mime, key=key, on_click="ignore", **options)


def figure_name(figure: str) -> str:
    from portal.figures import BY_KEY

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
    drawn = _per_view(_identity(ctx, key), lambda: _bar(frame, figure, by, title=title, where=where, rank=rank))
    show(drawn, key=key, heading=title if heading else None, titled=titled)


def lower_in_sentence(name: str, lang: str) -> str:
    """A label inside an English sentence ("by donation channel"); Chinese has no case."""
    return name[:1].lower() + name[1:] if lang == "en" and not name[1:2].isupper() else name


def _bar(
    frame: pd.DataFrame, figure: str, by: str, *, title: str, where: dict | None, rank: bool
) -> Drawn | str | None:
    from portal.figures import BY_KEY

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
    return _draw(chart, view, caption=caption, dimension=by, total_note=withheld > 0)


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
    drawn = _per_view(_identity(ctx, key), lambda: _trend(frame, figures, title=title, where=where))
    show(drawn, key=key, heading=title if heading else None, titled=titled)


def _trend(frame: pd.DataFrame, figures: list[str], *, title: str, where: dict | None) -> Drawn | None:
    from portal.figures import BY_KEY

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
        figure="、".join(BY_KEY[f].name(ctx.lang) for f in figures)
        if ctx.lang == "zh"
        else ", ".join(BY_KEY[f].name(ctx.lang) for f in figures),
        ptype=t(f"ptype.{'year' if ctx.ptype == 'all' else ctx.ptype}", ctx.lang),
        n=len(keys),
    )
    return _draw(chart, view, caption=caption, dimension=None, total_note=False)


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

    return _per_view(_identity(ctx, "texts", figures, with_unit), build)


def sparkline(frame: pd.DataFrame, figure: str, keys: list[str]) -> None:
    """A small trend of one figure (the overview's cards) with its table twin."""
    ctx = context()
    drawn = _per_view(_identity(ctx, "sparkline", figure), lambda: _sparkline(frame, figure, keys))
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
    return _draw(small, view, caption=about, dimension=None, total_note=False)


# ---------------------------------------------------------------- press, board and donors (issue 7)

FIND_RESULTS = 20
RECEIPT_ATTEMPTS = 5  # per visitor (a reload keeps the count) …
RECEIPT_WINDOW_S = 600  # … in ten minutes
CHART_EXPORT_PX = (1200, 675)
DOWNLOADS_PX = 170  # the downloads' control beside the table twin: "Download Excel" on one line


def base_url() -> str:
    """The portal's public address as the visitor reached it (for permalinks and citations)."""
    from urllib.parse import urlsplit

    from portal import lookup

    try:
        url = st.context.url
    except Exception:  # outside a browser session (AppTest)
        url = None
    if url:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return lookup.base_url(get_settings())


def page_url(ctx: Context) -> str:
    from urllib.parse import urlencode

    params = {k: st.query_params.get(k) for k in st.query_params}
    return f"{base_url()}/{ctx.page}?{urlencode(params)}"


@st.cache_resource(show_spinner=False, max_entries=3)
def _lookup_index(url: str, release_id: str):
    from portal import lookup

    engine = _engine(url)
    release = queries.release(engine=engine, release_id=release_id)
    if release is None:
        return None
    labels_ = queries.labels(engine=engine, release_id=release_id)
    return lookup.Index(queries.cells(engine=engine, release_id=release_id), labels_, release)


def lookup_index(release_id: str | None = None):
    """The search index of the current release (or of ``release_id``, None when unknown)."""
    if release_id is not None and (len(release_id) > 32 or not release_id.replace(".", "").replace("-", "").isalnum()):
        return None
    return _lookup_index(_url(), release_id or context().release["id"])


@st.cache_data(show_spinner=False, max_entries=6)
def _release_file(url: str, release_id: str, kind: str, lang: str) -> bytes:
    from portal import export

    engine = _engine(url)
    release = queries.release(engine=engine, release_id=release_id)
    cells = queries.cells(engine=engine, release_id=release_id)
    if kind == "json":
        return export.to_json(release, cells).encode("utf-8")
    labels_ = queries.labels(engine=engine, release_id=release_id)
    if kind == "csv":
        return export.to_csv(cells, labels_)
    return export.to_xlsx(release, cells, labels_, lang=lang)


def release_downloads() -> None:
    """The whole current release as CSV, XLSX and JSON: the cells ``portal figures`` prints."""
    ctx = context()
    rid = ctx.release["id"]
    kinds = (
        ("csv", "text/csv"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("json", "application/json"),
    )
    for column, (kind, mime) in zip(st.columns(3), kinds, strict=True):
        _download(
            column,
            t(f"find.download_{kind}", ctx.lang),
            lambda kind=kind: _release_file(_url(), rid, kind, ctx.lang),
            file_name=f"open-figures_{rid}.{kind}",
            mime=mime,
            key=f"release_{kind}",
            width="stretch",
        )


def chart_exports(chart, *, key: str, title: str) -> None:
    """PNG and SVG of a chart with its title, source line, as-of and this view's URL drawn in."""
    from portal import chart_export

    ctx = context()
    info = chart_export.credits(
        title=title,
        lang=ctx.lang,
        release=ctx.release,
        url=page_url(ctx),
        subtitle=f"{ctx.programme_name()} · {ctx.period_name()}",
    )
    name = f"{ctx.release['id']}_{key}_{ctx.programme}_{ctx.period}"
    w, h = CHART_EXPORT_PX
    _download(
        st,
        t("export.download_png", ctx.lang),
        lambda: chart_export.png(chart, info, width=w, height=h, scale=2),
        file_name=f"{name}.png",
        mime="image/png",
        key=f"png_{key}",
        width="stretch",
    )
    _download(
        st,
        t("export.download_svg", ctx.lang),
        lambda: chart_export.svg(chart, info, width=w, height=h).encode("utf-8"),
        file_name=f"{name}.svg",
        mime="image/svg+xml",
        key=f"svg_{key}",
        width="stretch",
    )


# -------------------------------------------------------------- board


def board_period(ctx: Context) -> str:
    """The board's period: the chosen quarter or year, else the latest quarter."""
    if periods.period_type(ctx.period) in ("quarter", "year"):
        return ctx.period
    quarters = ctx.periods_of_type("quarter") or ctx.periods_of_type("year")
    holding = [q for q in quarters if ctx.period in periods.children_of(q)]  # a month's own quarter
    if holding:
        return holding[0]
    if not quarters:
        return ctx.period
    kind = periods.period_type(quarters[-1])
    # the latest that every programme of the view has reported for
    return ctx.coverage.default_period(ctx.programme, kind, ctx.all_periods)


@st.cache_data(show_spinner=False, max_entries=32)
def _board(url: str, release_id: str, programme: str, period: str):
    from portal import board

    return board.build(_engine(url), period=period, programme=programme, release_id=release_id)


def board(period: str):
    ctx = context()
    return _board(_url(), ctx.release["id"], ctx.programme, period)


@dataclass(frozen=True)
class BoardText:
    """The board page's words, tables and charts for one view, built once (``board_text``)."""

    rows: list[dict]
    changes: list[tuple[str, list[str]]]  # (title, sentences) since each period compared with
    no_payments: list[str]
    headlines: pd.DataFrame
    charts: list[tuple[str, Drawn | None]]
    stages: pd.DataFrame
    stage_notes: list[str]


def board_text(view, period: str) -> BoardText:
    return _per_view(_identity(context(), "board", period), lambda: _board_text(view))


def _board_text(view) -> BoardText:
    from portal import board as boards

    lang = context().lang
    return BoardText(
        rows=boards.headline_rows(view, lang),
        changes=boards.change_lists(view, lang),
        no_payments=boards.no_payments(view, lang),
        headlines=boards.headline_frame(view, lang),
        charts=[
            (item.key, _draw(item.chart, item.view, caption=item.title, dimension=item.dimension, total_note=False))
            for item in boards.board_charts(view, lang)
        ],
        stages=boards.stage_frame(view, lang),
        stage_notes=boards.stage_notes(view, lang),
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _board_pack(url: str, release_id: str, programme: str, period: str, lang: str, base: str) -> bytes:
    from portal import board_pack

    view = _board(url, release_id, programme, period)
    return board_pack.build(view, lang, base_url=base, author=get_settings().publisher or "").pdf


def board_pack_button(period: str, *, label: str | None = None) -> None:
    ctx = context()
    rid, base = ctx.release["id"], base_url()
    _download(
        st,
        label or t("board.pack_button", ctx.lang),
        lambda: _board_pack(_url(), rid, ctx.programme, period, ctx.lang, base),
        file_name=f"board-pack_{rid}_{ctx.programme}_{period}_{ctx.lang}.pdf",
        mime="application/pdf",
        key="board_pack",
        icon=":material/picture_as_pdf:",
    )


def projector_on() -> bool:
    """Whether the board shows as slides (``portal.projector``): ``?projector=1`` on arrival,
    then its buttons."""
    if "_projector" not in st.session_state:
        st.session_state["_projector"] = st.query_params.get("projector") == "1"
    return st.session_state["_projector"]


def board_metric(row: dict, view, *, container=None) -> None:
    """A headline figure of the board: its value, the change on the prior period as the
    metric's delta (the period named under it), the same period last year in a line below."""
    from portal import board as boards
    from portal.figures import BY_KEY

    ctx = context()
    box = container or st
    delta, since = None, None
    if view.comparable(view.prior) and row["prior_change"] != boards.DASH:
        pct = f" ({row['prior_pct']})" if row["prior_pct"] != boards.DASH else ""
        delta = f"{row['prior_change']}{pct}"
        since = t("board.since_prior_short", ctx.lang, period=formatting.period(view.prior, ctx.lang))
    help_text = BY_KEY[row["figure"]].definition(ctx.lang)
    if row["status"] != "published":
        help_text += "\n\n" + formatting.reason(row["reason"] or "primary", ctx.lang, ctx.k)
    box.metric(row["name"], row["now"], delta=delta, delta_description=since, help=help_text)
    if view.compares_last_year and view.comparable(view.last_year):
        then = t("board.since_last_year_short", ctx.lang, period=formatting.period(view.last_year, ctx.lang))
        change = row["last_pct"] if row["last_pct"] != boards.DASH else row["last_change"]
        box.caption(t("board.card_line", ctx.lang, then=then, value=row["last"], change=change))


# -------------------------------------------------------------- donors' receipt checks


@dataclass
class ReceiptOutcome:
    kind: str  # found | not_found | invalid | limited
    receipt: object = None
    attempts_left: int = 0
    wait_minutes: int = 0


def _receipt_key() -> bytes | None:
    """Read per check (a few bytes), never cached: a key kept in a cache outlives its rotation."""
    from portal import pseudonym

    try:
        return pseudonym.load_key(get_settings(), receipt=True)
    except pseudonym.BadKeyError as exc:
        log.error("receipt key %s unusable (%s): receipt checks are off", exc.where, exc.args[0])
        return None
    except pseudonym.MissingKeyError:
        return None


def receipt_checks_available() -> bool:
    return _receipt_key() is not None


@st.cache_resource(show_spinner=False)
def _attempt_log():
    from portal import receipts

    return receipts.AttemptLog(RECEIPT_ATTEMPTS, RECEIPT_WINDOW_S)


VISITOR_COOKIE = "open_figures_visitor"
_VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{32}")


def _visitor() -> str:
    """The visitor's id: the one their browser holds in a cookie (set by ``remember_visitor``),
    else a new random one for this session. Only its HMAC is kept, in memory."""
    import secrets

    try:
        cookie = st.context.cookies.get(VISITOR_COOKIE)
    except Exception:  # outside a browser session (AppTest)
        cookie = None
    if isinstance(cookie, str) and _VISITOR_ID.fullmatch(cookie):  # what a browser sends is checked
        st.session_state["_visitor"] = cookie
    if "_visitor" not in st.session_state:
        st.session_state["_visitor"] = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]
    return st.session_state["_visitor"]


def remember_visitor() -> None:
    """The browser keeps the visitor's id for a day, so the receipt checks left survive a reload
    (they were per session: a reload gave five more). The cookie holds a random id, nothing else."""
    cookie = f"{VISITOR_COOKIE}={_visitor()}; path=/; max-age=86400; SameSite=Strict"
    st.sidebar.html(f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True)


def receipt_checks_left() -> int:
    import time

    return max(_attempt_log().left(_visitor(), time.monotonic()), 0)


def check_receipt(receipt_no: str, amount: str) -> ReceiptOutcome:
    """One check: at most RECEIPT_ATTEMPTS per visitor in RECEIPT_WINDOW_S; "not found" is the
    same answer for an unknown receipt number and for a known one with another amount."""
    import math
    import time

    from portal import receipts

    now, visitor, attempts = time.monotonic(), _visitor(), _attempt_log()
    if attempts.left(visitor, now) <= 0:
        wait = math.ceil(attempts.wait_s(visitor, now) / 60)
        return ReceiptOutcome("limited", attempts_left=0, wait_minutes=max(wait, 1))
    fen = receipts.amount_to_fen(amount or "")
    number = (receipt_no or "").strip()
    if not number or fen is None:
        return ReceiptOutcome("invalid", attempts_left=attempts.left(visitor, now))
    left = attempts.add(visitor, now)
    key = _receipt_key()
    if key is None:
        return ReceiptOutcome("invalid", attempts_left=left)
    found = receipts.lookup(engine=_engine(_url()), key=key, receipt_no=number, amount_fen=fen)
    return ReceiptOutcome("found" if found else "not_found", receipt=found, attempts_left=left)
