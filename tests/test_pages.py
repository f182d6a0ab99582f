"""Every page × both languages × a grid of filters, through AppTest on a random published
store: no exception, charts present, and every row of every chart's data is the store's cell
for that view (same value, same status; withheld never charted as a number)."""

from __future__ import annotations

import math
import time

import pandas as pd
import pytest
import streamlit as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from portal import formatting, periods, queries
from portal.i18n import t
from portal.settings import get_settings
from portal.ui import store as ui_store
from portal.vocab import DIMENSIONS
from tests.page_fixtures import PROGRAMMES, build, build_empty

from .conftest import ROOT

APP = str(ROOT / "streamlit_app.py")
PAGES = ("overview", "funds_raised", "disbursed_by_stage", "children_served", "volunteers", "about")
CHART_PAGES = PAGES[:-1]


@pytest.fixture(scope="module")
def page_store(tmp_path_factory):
    return build(tmp_path_factory.mktemp("pages") / "portal.db", seed=11)


@pytest.fixture
def use_store(page_store, monkeypatch):
    monkeypatch.setenv("PORTAL_PUBLISHED_URL", page_store.url)
    get_settings.cache_clear()
    yield page_store
    get_settings.cache_clear()


def _entry(app: str, page: str) -> None:
    import runpy

    runpy.run_path(app, init_globals={"PORTAL_DEFAULT_PAGE": page}, run_name="__main__")


def open_page(page: str, **params) -> AppTest:
    """The app opened on ``page`` with the router and its chrome. (AppTest.switch_page runs the
    page file alone in Streamlit 1.67, without the entry script, so the page is made the
    default instead, as a visitor's permalink would open it.)"""
    at = AppTest.from_function(_entry, args=(APP, page), default_timeout=60)
    at.query_params.update(params)
    at.run()
    return at


def elements(at: AppTest, kind: str) -> list:
    found = []

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if child.type == kind:
                found.append(child)
            walk(child)

    walk(at._tree)
    return found


def open_downloads(at: AppTest) -> int:
    """Open every downloads control of the page, as a visitor's click does (each draws its
    buttons only while open: ``ui.files.downloads_menu``), and run the page again; how many."""
    keys = [e.proto.id.split("-", 2)[-1] for e in elements(at, "expander") if "-downloads_" in e.proto.id]
    for key in keys:
        at.session_state[key] = True
    at.run()
    return len(keys)


def chart_frames(at: AppTest) -> list[pd.DataFrame]:
    frames = []
    for chart in elements(at, "vega_lite_chart"):
        datasets = chart.proto.datasets
        assert datasets, "a chart without data"
        # the published cells a chart draws; reference data beside them (a stage's standards,
        # drawn as ticks) is not a cell and has its own test (test_charts)
        data = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in datasets]
        frames.extend(frame for frame in data if "figure" in frame.columns)
    return frames


def _none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def store_index(store) -> dict:
    frame = queries.cells(engine=store.engine, release_id=store.release_id)
    return {
        (r.figure, r.programme, r.period, *(_none(getattr(r, d)) for d in DIMENSIONS)): (r.value, r.status, r.reason)
        for r in frame.itertuples()
    }, frame


def assert_chart_is_store(data: pd.DataFrame, store, index: dict, store_frame: pd.DataFrame, region=None) -> int:
    """Each row equals its store cell; each breakdown shown is complete."""
    assert "figure" in data.columns and len(data) > 0
    for row in data.itertuples():
        key = (row.figure, row.programme, row.period, *(_none(getattr(row, d)) for d in DIMENSIONS))
        assert key in index, f"chart row not in the store: {key}"
        value, status, _ = index[key]
        assert row.status == status
        if status == "published":
            assert row.value == pytest.approx(value), (key, row)
        else:
            assert _none(row.value) is None, "a withheld cell carries a number in the chart"
    # completeness: the store has no cell of this view that the chart left out
    for (figure, period), group in data.groupby(["figure", "period"]):
        expected = store_frame[
            (store_frame.figure == figure)
            & (store_frame.programme == group.programme.iloc[0])
            & (store_frame.period == period)
        ]
        for dim in DIMENSIONS:
            shown = group[dim].dropna()
            if shown.empty:
                expected = expected[expected[dim].isna()]
            elif (
                region is not None
                and dim == "region"
                and set(shown) == {region}
                and len(group)
                != len(
                    store_frame[
                        (store_frame.figure == figure)
                        & (store_frame.programme == group.programme.iloc[0])
                        & (store_frame.period == period)
                        & store_frame.region.notna()
                        & store_frame[[d for d in DIMENSIONS if d != "region"]].isna().all(axis=1)
                    ]
                )
            ):
                expected = expected[expected[dim] == region]
            else:
                expected = expected[expected[dim].notna()]
        assert len(group) == len(expected), f"{figure} {period}: chart {len(group)} rows, store {len(expected)}"
    if "standard" in data.columns:
        standards = queries.standards(engine=store.engine, release_id=store.release_id)
        for row in data.itertuples():
            match = standards[(standards.programme == row.programme) & (standards.stage == row.stage)]
            # beside a period's average: that period's share of the yearly standard
            share = periods.per_year(row.period)
            expected = match.yearly_yuan.iloc[0] / share if len(match) and share else None
            assert _none(row.standard) == expected
    return len(data)


def assert_trends_complete(data: pd.DataFrame, store_frame: pd.DataFrame, ptype: str) -> None:
    totals = data[data[list(DIMENSIONS)].isna().all(axis=1)]
    if totals.period.nunique() > 1:
        kind = "year" if ptype == "all" else ptype
        grid = {p for p in store_frame.period.unique() if periods.period_type(p) == kind}
        for figure, group in totals.groupby("figure"):
            assert set(group.period) == grid, f"trend of {figure} misses periods"


GRID = [
    {"programme": "all", "period": "2023"},
    {"programme": PROGRAMMES[0], "period": "2023-Q4"},
    {"programme": PROGRAMMES[1], "ptype": "month", "period": "2022-06"},
    {"programme": PROGRAMMES[0], "period": "all"},
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("filters", GRID, ids=lambda f: f"{f['programme']}-{f['period']}")
def test_page_shows_the_store(use_store, page, lang, filters):
    at = open_page(page, lang=lang, **filters)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.query_params["lang"] == lang
    assert at.query_params["period"] == filters["period"]
    assert at.query_params["programme"] == filters["programme"]
    captions = " ".join(c.value for c in at.caption)
    assert use_store.release_id in captions
    assert any(t("notice.sample", lang) in w.value for w in at.warning)
    if page == "about":
        glossary = at.dataframe[0].value
        assert len(glossary) == len(queries_figures())
        return
    index, store_frame = store_index(use_store)
    frames = chart_frames(at)
    assert frames, "no chart on the page"
    rows = 0
    for data in frames:
        assert set(data.programme) == {filters["programme"]}
        rows += assert_chart_is_store(data, use_store, index, store_frame)
        assert_trends_complete(data, store_frame, periods.period_type(filters["period"]))
    assert rows > 0
    # each chart has its table twin and downloads, whose buttons are drawn once the control is
    # opened; a click on a download must not rerun the page, or the rerun can replace the file
    # the click is fetching
    assert not elements(at, "download_button")
    menus = open_downloads(at)
    assert not at.exception, [e.value for e in at.exception]
    buttons = elements(at, "download_button")
    assert len(buttons) >= 2 * len(elements(at, "vega_lite_chart")) - 8
    assert len(buttons) >= 2 * menus > 0
    assert all(button.proto.ignore_rerun for button in buttons)


def queries_figures():
    from portal.figures import FIGURES

    return FIGURES


@pytest.mark.parametrize("page", ["disbursed_by_stage", "children_served", "volunteers"])
def test_region_filter(use_store, page):
    region = queries.regions(engine=use_store.engine, release_id=use_store.release_id, programme=PROGRAMMES[0])[0]
    at = open_page(page, lang="zh", programme=PROGRAMMES[0], period="2023", region=region)
    assert not at.exception and not at.error
    assert at.query_params["region"] == region
    index, store_frame = store_index(use_store)
    for data in chart_frames(at):
        assert_chart_is_store(data, use_store, index, store_frame, region=region)


def test_headline_metrics_are_store_cells(use_store):
    for lang in ("zh", "en"):
        at = open_page("overview", lang=lang, programme=PROGRAMMES[1], period="2023-Q2")
        index, _ = store_index(use_store)
        shown = {m.label: m.value for m in at.metric}
        from portal.figures import BY_KEY

        for figure in ("funds_raised", "funds_disbursed", "children_served", "volunteer_hours"):
            value, status, reason = index[(figure, PROGRAMMES[1], "2023-Q2", *([None] * len(DIMENSIONS)))]
            expected = formatting.cell(figure, value, status, lang, use_store.k, reason=_none(reason))
            assert shown[BY_KEY[figure].name(lang)] == expected


def test_a_rate_changes_in_percentage_points(use_store):
    """The funds page says a rate's change as the board does: "+6.2 pp", never "+6.2%" (a
    change of 6.2 % of the rate is another thing)."""
    from portal import board
    from portal.figures import BY_KEY

    index, _ = store_index(use_store)
    key = ("disbursement_rate", PROGRAMMES[0])
    nones = [None] * len(DIMENSIONS)
    before, after = (index.get((*key, p, *nones)) for p in ("2022", "2023"))
    assert before and after and before[1] == after[1] == "published"
    for lang in ("zh", "en"):
        at = open_page("funds_raised", lang=lang, programme=PROGRAMMES[0], period="2023")
        metric = next(m for m in at.metric if m.label == BY_KEY["disbursement_rate"].name(lang))
        expected = board.difference("disbursement_rate", before[0], after[0], lang)[0]
        assert metric.proto.delta.startswith(expected) and t("board.pp", lang, value="").strip() in expected


def test_widget_change_rewrites_the_permalink(use_store):
    at = open_page("overview", lang="en", programme="all", period="2023")
    at.selectbox(key="w_programme").set_value(PROGRAMMES[0]).run()
    assert not at.exception
    assert at.query_params["programme"] == PROGRAMMES[0]
    at.selectbox(key="w_ptype").set_value("quarter").run()
    assert periods.period_type(at.query_params["period"]) == "quarter"
    at.radio(key="w_lang").set_value("zh").run()
    assert at.query_params["lang"] == "zh"
    assert at.title[0].value == t("nav.overview", "zh")


HOSTILE = [
    {"utm_source": "x", "lang": "en"},
    {"period": "2023-01-01..2023-06-30"},
    {"period": "2023' OR '1'='1"},
    {"programme": "x'; DROP TABLE cell; --"},
    {"lang": "fr"},
    {"ptype": "week"},
    {"region": "<script>alert(1)</script>"},
]


@pytest.mark.parametrize("params", HOSTILE, ids=lambda p: next(iter(p)))
@pytest.mark.parametrize("page", ["overview", "children_served"])
def test_hostile_params_give_a_notice(use_store, params, page):
    at = open_page(page, **params)
    assert not at.exception and not at.error
    if True:
        assert at.info, "a bad parameter must be reported"
    for bad in params.values():
        if bad not in ("en",):
            assert bad not in at.query_params.values()
    assert elements(at, "vega_lite_chart")


def test_page_error_shows_a_friendly_message(use_store, monkeypatch):
    from portal import charts

    def broken(*args, **kwargs):
        raise RuntimeError("boom: a traceback must not reach a visitor")

    monkeypatch.setattr(charts, "bar", broken)
    st.cache_data.clear()  # views drawn by earlier tests are cached and would not call charts.bar
    ui_store.clear()
    at = open_page("children_served", lang="en", programme="all", period="2023")
    assert not at.exception
    assert [e.value for e in at.error] == [t("app.error", "en")]
    assert "boom" not in str([m.value for m in at.markdown])


@pytest.mark.parametrize("kind", ["missing", "empty"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_store_gives_a_friendly_page(tmp_path, monkeypatch, kind, lang):
    path = tmp_path / "portal.db"
    url = build_empty(path) if kind == "empty" else f"sqlite:///{path}"
    monkeypatch.setenv("PORTAL_PUBLISHED_URL", url)
    get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value == t("empty.title", lang)
    assert "portal publish" in at.code[0].value
    get_settings.cache_clear()


def test_stale_data_is_said_plainly(tmp_path, monkeypatch):
    store = build(tmp_path / "stale.db", seed=3, sample=False)
    monkeypatch.setenv("PORTAL_PUBLISHED_URL", store.url)
    get_settings.cache_clear()
    at = open_page("overview", lang="en")
    warnings = " ".join(w.value for w in at.warning)
    assert t("notice.stale", "en", as_of=formatting.date(store.as_of, "en")) in warnings
    assert t("notice.sample", "en") not in warnings
    get_settings.cache_clear()


def test_pages_are_fast(use_store):
    for page in PAGES:
        at = open_page(page, lang="zh", programme=PROGRAMMES[0], period="2023")
        start = time.perf_counter()
        at.run()
        assert time.perf_counter() - start < 5, f"{page} took too long on a warm cache"


def test_a_view_drawn_from_the_cache_is_the_view_drawn_fresh(use_store):
    """Charts, captions and headlines are built once per release and view: the same view drawn
    again after another language's (and from the cache) is the same page."""

    def drawn(lang: str) -> tuple:
        at = open_page("funds_raised", lang=lang, programme="all", period="2023")
        assert not at.exception
        shown = [(c.proto.spec, [d.data.data for d in c.proto.datasets]) for c in elements(at, "vega_lite_chart")]
        return shown, [c.value for c in at.caption], [(m.label, m.value) for m in at.metric]

    st.cache_data.clear()
    ui_store.clear()
    fresh = drawn("zh")
    other = drawn("en")
    again = drawn("zh")
    assert fresh[0] and fresh[1] and fresh[2]
    assert again == fresh
    assert other[1] != fresh[1]  # the language is part of a view: no zh caption on an en page


def test_sample_data_has_one_banner_and_is_not_called_stale(use_store):
    """The sample's dates are made up: it says it is sample data, in one banner, and not that
    it is more than three months old."""
    at = open_page("overview", lang="en")
    warnings = [w.value for w in at.warning]
    assert warnings == [t("notice.sample", "en")]
