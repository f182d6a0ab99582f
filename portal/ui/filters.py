"""The URL ↔ widget state: the language radio (?lang=) and the filters (?programme=, ?ptype=,
?period=, ?region=), read from the URL once per session, drawn in one control at the top of
the page and written back to the URL. Which parameters each page reads: ``portal.params``."""

from __future__ import annotations

import threading

import streamlit as st

from portal import charts, formatting, params, periods
from portal.coverage import Coverage
from portal.i18n import LANGS, all_label, t
from portal.queries import ReleaseInfo
from portal.ui import store
from portal.ui.state import Context, markdown_text, period_words

FILTERS_PX = 360  # the filters' control: "筛选：全部项目 · 2023年第4季度" on one line, on a phone too
# this run's top bar (a script run is one thread): the filters' place, drawn by ``language``
_run = threading.local()


def language() -> str:
    """The bar at the top of every page: the filters' control (``read`` fills it) and the
    language radio (中文 / English), bound to ?lang=; called by the router first. At the top,
    not in the sidebar, so a phone shows them without opening anything."""
    if "w_lang" not in st.session_state:
        st.session_state["w_lang"] = params.language(st.query_params)
    bar = st.container(horizontal=True, vertical_alignment="top", horizontal_alignment="distribute", key="top_bar")
    _run.filters = bar.container(width=FILTERS_PX)
    bar.radio(
        t("app.lang_switch", "zh"),
        LANGS,
        format_func=lambda code: t("app.lang_name", code),
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


def read(page: str, release: ReleaseInfo, lang: str) -> Context:
    """The view of this run: the filters bound to the URL (one control at the top of the
    page), drawn on pages that have them, and the notices about refused or unavailable
    values."""
    url = store.url()
    release_periods = store.periods(url, release.id)
    names = store.names(url, release.id)
    coverage = store.coverage(url, release.id, release.as_of)
    # a programme with no data at all has nothing to show: it is not offered
    programmes = [c for c in sorted(c for (d, c) in names if d == "programme") if c in coverage.spans]
    if "_portal_init" not in st.session_state:
        regions = [c for (d, c) in names if d == "region"]
        _first_run_params(release_periods, programmes, regions, lang, page, coverage)
        st.session_state["_portal_init"] = True

    if page in params.NO_FILTER_PAGES:  # keep the filters' values for the next page, draw none
        for key in ("w_programme", "w_ptype", "w_period"):
            st.session_state[key] = st.session_state.get(key, "all")
        return _without_filters(
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
            charts.label("programme", now, lang, names),
            period_words(st.session_state["w_period"], lang),
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
        format_func=lambda c: charts.label("programme", c, lang, names),
        key="w_programme",
    )
    side.selectbox(
        t("filter.period_type", lang),
        periods.PERIOD_TYPES,
        format_func=lambda c: formatting.period_type(c, lang),
        key="w_ptype",
    )
    if ptype != "all":
        side.selectbox(t("filter.period", lang), options, format_func=lambda p: period_words(p, lang), key="w_period")
    programme = st.session_state["w_programme"]
    region = None
    region_codes = store.regions(url, release.id, programme) if page in params.REGION_PAGES else []
    if page in params.REGION_PAGES:
        counties = list(region_codes)
        # the region survives pages without the filter in a plain key (widget state is dropped
        # when its widget is not drawn)
        st.session_state["w_region"] = st.session_state.get("w_region", st.session_state.get("_region", ""))
        if st.session_state.get("w_region") not in ("", *counties):
            st.session_state["w_region"] = ""  # a county of another programme: all counties
        side.selectbox(
            t("filter.region", lang),
            ["", *counties],
            format_func=lambda c: all_label("region", lang) if c == "" else charts.label("region", c, lang, names),
            key="w_region",
        )
        region = st.session_state["w_region"] or None
        st.session_state["_region"] = st.session_state["w_region"]
    side.caption(t("filter.permalink", lang))

    return Context(
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


def _without_filters(page, lang, release, names, all_periods, programme, period, coverage) -> Context:
    """The context of a page without filters (find, receipt): the language in the URL, the
    page's own parameters left as they are."""
    return Context(
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


def write_params(ctx: Context) -> None:
    """The view into the URL, so that it is a permalink; a page's own parameters are kept."""
    current = {k: st.query_params.get(k) for k in st.query_params}
    own = params.PAGE_PARAMS.get(ctx.page, ())
    if ctx.page in params.NO_FILTER_PAGES:
        wanted = {k: v for k, v in current.items() if k in params.PARAMS or k in own}
        wanted["lang"] = ctx.lang
    else:
        wanted = {"lang": ctx.lang, "programme": ctx.programme, "ptype": ctx.ptype, "period": ctx.period}
        if ctx.region:
            wanted["region"] = ctx.region
        wanted.update({k: v for k, v in current.items() if k in own})
    if current != wanted:
        st.query_params.from_dict(wanted)
