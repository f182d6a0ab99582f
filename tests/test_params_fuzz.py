"""Hostile URLs (issue 9): generated query strings against the URL reader and every page.

Three layers, one strategy (``hostile_queries``): unknown keys (unicode, very long, markdown,
HTML, SQL and template fragments, ``%00``, ``../``), values of the wrong type (numbers, lists
given as repeated keys, empty, 100,000-character strings), periods finer than the fixed grid
(a day, a week, 2024-02-30, free ranges), unknown programmes and regions, and good values.

1. ``params.read`` alone, ≥ 10,000 generated URLs (deterministic: derandomized, no database):
   it never raises, every value it returns is one the release offers or the default, every
   bad value has a notice naming it (and no good one has), and what a notice echoes is made
   of the safe character set only.
2. Every page through the router (AppTest), a few hundred of the same URLs: no exception,
   no error, no traceback text, the notices ``params.read`` predicts on screen, the view one
   the release has, and every headline number and chart row a cell of the release.
3. A real server in Chromium, a handful of them: no traceback, the notice shown, no
   injected link.

The number of URLs tried in each layer is printed at the end of the module."""

from __future__ import annotations

import math
import re
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from portal import formatting, params, periods, queries
from portal.board import rounded
from portal.figures import BY_KEY
from portal.i18n import LANGS, messages, t
from portal.settings import get_settings
from portal.vocab import DIMENSIONS, VOCAB_DIMENSIONS, vocabulary
from tests.conftest import report_line
from tests.page_fixtures import build
from tests.test_pages import APP, elements

PAGES = (
    "overview", "funds_raised", "disbursed_by_stage", "children_served", "volunteers",
    "find", "board", "receipt", "about",
)  # fmt: skip
PURE_EXAMPLES = 10_000
APPTEST_PER_PAGE = 30
TRIED = {"pure": 0, "apptest": 0, "server": 0}
KNOWN_KEYS = tuple(dict.fromkeys((*params.PARAMS, *(k for keys in params.PAGE_PARAMS.values() for k in keys))))
SAFE_NAMES = re.compile(r"`[0-9A-Za-z_.\-\u3400-\u9fff…?]+`(, `[0-9A-Za-z_.\-\u3400-\u9fff…?]+`)*( \(\+\d+\))?")

FRAGMENTS = (
    "' OR 1=1 --", "'; DROP TABLE cell; --", '" OR ""="', "1; SELECT * FROM release", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "{{7*7}}", "${7*7}", "{% raw %}", "%00", "\x00", "%0d%0aSet-Cookie: x=1",
    "../../etc/passwd", "..\\..\\windows", "`code`", "```", "[x](javascript:alert(1))", "![x](http://evil/x.png)",
    ":red[alarm]", ":material/warning:", "$x^2$", "**bold**", "# heading", "\n\n- item", "\r\n", "\u202eevil",
    "\u200b", "a" * 41, "NaN", "inf", "-inf", "1e309", "-1", "0", "²", "٢٠٢٣", "２０２３", "true", "null", "[]", "{}",
    "lang", "period", "全部", "大学", "🙂",
)  # fmt: skip
FINER = ("-15", "-W07", "-01-01", "T00:00", "..2024", "/2024", " ", "\n", "-Q5", "-13", "-00")
GRIDLESS = (
    "2024-W07", "2024-02-30", "2023-02-29", "2023..2024", "2023-01-01..2023-06-30", "2023/2024", "2023-Q0",
    "2023-Q5", "2023-13", "2023-1", "2023-q1", "0000", "0000-Q1", "9999", "99999", "-2023", "2023\n", "2023 ",
    " 2023", "٢٠٢٣", "２０２３", "ALL", "All", "week", "day", "2023-H1", "FY2023",
)  # fmt: skip


# ---------------------------------------------------------------- the release and the strategy


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    return build(tmp_path_factory.mktemp("fuzz") / "portal.db", seed=23)


@pytest.fixture(scope="module")
def release_lists(fuzz_store):
    """The periods, programmes and regions of a real published store (what ui.chrome passes)."""
    engine = fuzz_store.engine
    labels = queries.labels(engine=engine, release_id=fuzz_store.release_id)
    return {
        "all_periods": queries.periods(engine=engine, release_id=fuzz_store.release_id),
        "programmes": sorted(labels.loc[labels.dimension == "programme", "code"]),
        "regions": list(labels.loc[labels.dimension == "region", "code"]),
    }


@pytest.fixture(scope="module", autouse=True)
def report_counts(request):
    yield
    total = sum(TRIED.values())
    line = (
        f"query-parameter fuzz: {TRIED['pure']} URLs against params.read, {TRIED['apptest']} against every page "
        f"(AppTest), {TRIED['server']} against a real server; {total} in all"
    )
    report_line(request.config, line)


def hostile_queries(lists: dict) -> st.SearchStrategy[dict]:
    """URLs as ``st.query_params`` gives them: key -> value (a list is repeated keys)."""
    all_periods, programmes, regions = lists["all_periods"], lists["programmes"], lists["regions"]
    grid = [p for p in all_periods if p != "all"]
    huge = st.builds(
        lambda c, n: c * n, st.sampled_from(["9", "a", "<", "`", "大", "%", "2023"]), st.integers(1, 100_000)
    )
    junk = st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(max_size=60),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.integers(),  # not a string at all (a caller that passes numbers)
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.just(""),
        huge,
    )
    finer = st.builds(lambda p, s: p + s, st.sampled_from(grid), st.sampled_from(FINER))
    period = st.one_of(st.sampled_from(all_periods), st.sampled_from(GRIDLESS), finer, junk)
    good = {
        "lang": st.sampled_from(LANGS),
        "programme": st.sampled_from(["all", *programmes]),
        "ptype": st.sampled_from(periods.PERIOD_TYPES),
        "period": st.sampled_from(all_periods),
        "region": st.sampled_from(["", *regions]),
        "q": st.one_of(st.text(max_size=40), st.sampled_from(["大学 2023 发放", "volunteer hours", "Q4 funds"])),
        "release": st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\.[1-9]\Z"),
        "figure": st.sampled_from(sorted(BY_KEY)),
        "projector": st.sampled_from(["0", "1"]),
        "slide": st.integers(1, 40).map(str),
        **{d: st.sampled_from(vocabulary(d).codes) for d in VOCAB_DIMENSIONS},
    }
    bad = {
        "lang": st.one_of(st.sampled_from(["fr", "ZH", "zh-CN", "en ", "中文"]), junk),
        "programme": st.one_of(st.sampled_from([p + "x" for p in programmes] + [p.lower() for p in programmes]), junk),
        "ptype": st.one_of(st.sampled_from(["week", "day", "YEAR", "quarterly", "range"]), junk),
        "period": period,
        "region": st.one_of(st.sampled_from([r + "0" for r in regions] + ["990199", "110101"]), junk),
        "q": st.one_of(huge, junk),
        "release": st.one_of(st.sampled_from(["x" * 80, "../portal.db", "2023-12-31.1'--"]), junk),
        "figure": junk,
        "projector": st.one_of(st.sampled_from(["yes", "true", "on", "2", "01"]), junk),
        "slide": st.one_of(st.sampled_from(["0", "-1", "1.5", "²", "١", "9" * 5000, "1000", "01"]), junk),
        **{d: junk for d in VOCAB_DIMENSIONS},
    }

    def value_for(key: str) -> st.SearchStrategy:
        one = st.one_of(good.get(key, junk), bad.get(key, junk))
        return st.one_of(one, one, one, st.lists(one, min_size=1, max_size=3))  # a list: the key repeated

    unknown_key = st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(min_size=1, max_size=30),
        st.integers(),
        st.sampled_from(["utm_source", "fbclid", "Period", "LANG", "page", "lang ", "region[]", "q" * 500]),
    )
    known = st.fixed_dictionaries({}, optional={k: value_for(k) for k in KNOWN_KEYS})  # each key there or not
    unknown = st.dictionaries(unknown_key, st.one_of(junk, st.lists(junk, max_size=2)), max_size=4)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


# ---------------------------------------------------------------- what is a good value


def is_good(key: str, value: str, lists: dict) -> bool:
    """An oracle written apart from portal/params.py: is ``value`` one the page may use?"""
    if key == "lang":
        return value in ("zh", "en")
    if key == "programme":
        return value == "all" or value in lists["programmes"]
    if key == "ptype":
        return value in ("all", "year", "quarter", "month")
    if key == "period":
        return value in lists["all_periods"]
    if key == "region":
        return value == "" or value in lists["regions"]
    if key == "q":
        return True
    if key == "release":
        return bool(re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.\-]{0,31}", value))
    if key == "figure":
        return value in BY_KEY
    if key in VOCAB_DIMENSIONS:
        return value in vocabulary(key).codes
    if key == "projector":
        return value in ("0", "1")
    if key == "slide":
        return value.isascii() and value.isdigit() and len(value) <= 3 and not value.startswith("0")
    raise AssertionError(key)


def last(raw) -> str:
    """The value a page sees: the last of repeated keys, as text."""
    if isinstance(raw, list):
        return last(raw[-1]) if raw else ""
    return raw if isinstance(raw, str) else str(raw)


def check_read(query: dict, page: str, lists: dict) -> params.Parsed:
    parsed = params.read(query, page=page, **lists)
    allowed = {*params.PARAMS, *params.PAGE_PARAMS.get(page, ())}
    # every value is one the release offers, or the default
    assert parsed.lang in LANGS
    assert parsed.programme == "all" or parsed.programme in lists["programmes"]
    assert parsed.period in lists["all_periods"] or parsed.period == "all"
    assert parsed.ptype in periods.PERIOD_TYPES and parsed.ptype == periods.period_type(parsed.period)
    assert parsed.region == "" or parsed.region in lists["regions"]
    for key, value in parsed.own.items():
        assert key in allowed and key not in params.PARAMS
        assert is_good(key, value, lists) and (key != "q" or len(value) <= params.Q_MAX)
    # a notice for every bad value, none for a good one
    named = [v["name"] for k, v in parsed.notices if k == "notice.bad_value"]
    assert len(named) == len(set(named))
    for key, raw in query.items():
        if key not in allowed:
            continue
        good = is_good(key, last(raw), lists)
        assert (key in named) == (not good), (key, last(raw)[:80], parsed.notices)
        if key == "q":
            assert (len(last(raw)) > params.Q_MAX) == any(k == "notice.url.cut" for k, _ in parsed.notices)
        if not good and key in params.PAGE_PARAMS.get(page, ()) and key not in params.PARAMS:
            assert key not in parsed.own
    assert set(named) <= set(query), "a notice about a parameter the URL does not have"
    unknown = [k for k in query if k not in allowed]
    unknown_notices = [v["names"] for k, v in parsed.notices if k == "notice.unknown_param"]
    assert len(unknown_notices) == (1 if unknown else 0)
    # what a notice echoes is of the safe set only, and every notice is a message with its values
    for key, values in parsed.notices:
        assert key in messages()
        if key == "notice.unknown_param":
            assert SAFE_NAMES.fullmatch(values["names"]), values["names"]
            shown = min(len({params.safe_name(k) for k in unknown}), params.NAMES_SHOWN)
            assert values["names"].count("`") == 2 * shown
        else:
            assert values["name"] in KNOWN_KEYS
        for lang in LANGS:
            t(key, lang, **values)
    assert set(parsed.drop) <= set(named) and (page not in params.NO_FILTER_PAGES or not parsed.drop)
    return parsed


# ---------------------------------------------------------------- 1. params.read alone


@pytest.mark.slow
def test_read_survives_ten_thousand_hostile_urls(release_lists):
    start = time.perf_counter()

    @settings(
        max_examples=PURE_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(query=hostile_queries(release_lists), page=st.sampled_from(PAGES))
    def run(query, page):
        TRIED["pure"] += 1
        check_read(query, page, release_lists)

    run()
    print(f"params.read: {TRIED['pure']} URLs in {time.perf_counter() - start:.1f}s")
    assert TRIED["pure"] >= PURE_EXAMPLES


@pytest.mark.parametrize(
    "name",
    ["`a`", "[x](javascript:alert(1))", "<script>alert(1)</script>", ":red[x]", ":material/home:", "a\nb", "$x$",
     "**b**", "\u202eab", "x" * 100, "大学", ""],
)  # fmt: skip
def test_unknown_names_are_safe_markdown(name):
    shown = params.unknown_names([name])
    assert SAFE_NAMES.fullmatch(shown), shown
    for bad in ("[", "]", "(", ")", "<", ">", ":", "$", "*", "\n", "\u202e"):
        assert bad not in shown
    assert len(shown) <= params.NAME_MAX + 3


def test_escape_markdown_and_link_targets():
    text = "**a** [x](javascript:alert(1)) :red[x] $x$ <b>\n# h `c`"
    escaped = params.escape_markdown(text)
    assert "\n" not in escaped
    assert re.sub(r"\\(.)", r"\1", escaped) == text.replace("\n", " ")
    assert not re.search(r"(?<!\\)[\[\]()*`$<:#]", escaped)
    url = params.markdown_url("http://h/find?a=1&b=x) [y](javascript:z)")
    assert not set(url) & set(' ()[]<>`"')


def test_a_cell_permalink_refuses_periods_off_the_grid():
    from portal import lookup

    for period in ("0000", "2023\n", "٢٠٢٣", "２０２３", "2023-02-15", "2023..2024"):
        assert lookup.CellKey.from_params({"figure": "funds_raised", "programme": "all", "period": period}) is None
    key = lookup.CellKey.from_params({"figure": "funds_raised", "programme": "all", "period": ["2022", "2023"]})
    assert key is not None and key.period == "2023"


# ---------------------------------------------------------------- 2. every page (AppTest)


@pytest.fixture(scope="module")
def release_cells(fuzz_store):
    frame = queries.cells(engine=fuzz_store.engine, release_id=fuzz_store.release_id)
    index = {
        (r.figure, r.programme, r.period, *(_none(getattr(r, d)) for d in DIMENSIONS)): (r.value, r.status)
        for r in frame.itertuples()
    }
    shown: dict[tuple[str, str], set[str]] = {}  # (lang, figure name) -> every text a headline may show
    for lang in LANGS:
        for figure, group in frame.groupby("figure"):
            texts = {"—"}
            for value, status, reason in set(zip(group["value"], group["status"], group["reason"], strict=True)):
                value, reason = _none(value), _none(reason)
                texts.add(formatting.cell(figure, value, status, lang, fuzz_store.k, reason=reason))
                if value is not None:
                    texts.add(formatting.cell(figure, rounded(figure, value), status, lang, fuzz_store.k))
            shown[(lang, BY_KEY[figure].name(lang))] = texts
    return index, shown


def _none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def page_text(at) -> str:
    parts = []
    for kind in ("markdown", "info", "warning", "error", "success", "caption", "code", "text", "title",
                 "header", "subheader", "exception"):  # fmt: skip
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


def check_page(at, query: dict, page: str, lists: dict, store, cells) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    text = page_text(at)
    assert "Traceback" not in text and 'File "' not in text
    parsed = params.read(query, page=page, **lists)
    lang = parsed.lang
    infos = [i.value for i in at.info]
    for key, values in parsed.notices:
        assert t(key, lang, **values) in infos, (key, values)
    # the view is one the release has
    ctx = at.session_state["_portal_ctx"]
    assert ctx.programme == "all" or ctx.programme in lists["programmes"]
    assert ctx.period in lists["all_periods"]
    assert ctx.region is None or ctx.region in lists["regions"]
    # every headline number and every chart row is a cell of the release
    index, shown = cells
    for m in at.metric:
        label = m.label or m.proto.label
        if (lang, label) in shown:
            assert m.value in shown[(lang, label)], (label, m.value)
    for chart in elements(at, "vega_lite_chart"):
        for dataset in chart.proto.datasets:
            data = convert_arrow_bytes_to_pandas_df(dataset.data.data)
            if not {"figure", "programme", "period"} <= set(data.columns):
                continue
            for row in data.itertuples():
                key = (row.figure, row.programme, row.period, *(_none(getattr(row, d, None)) for d in DIMENSIONS))
                assert key in index, f"a chart row the release does not have: {key}"
                value, status = index[key]
                assert row.status == status
                if status == "published":
                    assert _none(row.value) == pytest.approx(value)
                else:
                    assert _none(row.value) is None


def _entry(app: str, page: str) -> None:
    import runpy

    runpy.run_path(app, init_globals={"PORTAL_DEFAULT_PAGE": page}, run_name="__main__")


def open_page(page: str, query: dict) -> AppTest:
    """The app opened on ``page`` through the router, as a permalink opens it (as
    tests/test_pages.py does; kept here, since AppTest copies the function's source)."""
    at = AppTest.from_function(_entry, args=(APP, page), default_timeout=60)
    at.query_params.update(query)
    at.run()
    return at


@pytest.fixture
def use_fuzz_store(fuzz_store, monkeypatch):
    monkeypatch.setenv("PORTAL_PUBLISHED_URL", fuzz_store.url)
    get_settings.cache_clear()
    yield fuzz_store
    get_settings.cache_clear()


def _urlsafe(query: dict) -> dict:
    """What a browser can put in a URL: no NUL, no lone surrogates (the strategy's text can)."""

    def clean(text) -> str:
        return str(text).replace("\x00", "").encode("utf-8", "replace").decode("utf-8")

    out = {}
    for key, raw in query.items():
        out[clean(key)] = [clean(v) for v in raw] if isinstance(raw, list) else clean(raw)
    return {k: v for k, v in out.items() if v != []}


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_every_page_survives_hostile_urls(use_fuzz_store, release_lists, release_cells, page):
    start = time.perf_counter()

    @settings(
        max_examples=APPTEST_PER_PAGE,
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(query=hostile_queries(release_lists).map(_urlsafe))
    def run(query):
        TRIED["apptest"] += 1
        at = open_page(page, query)  # a dict: the URL may hold a key named "page"
        # what Streamlit handed the page (parse_qs drops what it cannot read) is what params.read saw
        check_page(at, _as_streamlit_reads(query), page, release_lists, use_fuzz_store, release_cells)

    run()
    print(f"{page}: {APPTEST_PER_PAGE} URLs in {time.perf_counter() - start:.1f}s")


def _as_streamlit_reads(query: dict) -> dict:
    """The query as ``st.query_params`` gives it back after a round trip through a URL."""
    from urllib.parse import parse_qs

    from streamlit.runtime.state.query_params import sanitize_query_string

    parsed = parse_qs(sanitize_query_string(urlencode(query, doseq=True)), keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items() if k.lower() not in ("embed", "embed_options")}


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("board", {"lang": "en", "projector": "1", "slide": "²"}),  # "²".isdigit(), int("²") raises
        ("board", {"lang": "en", "projector": "1", "slide": "9" * 5000}),  # int() refuses > 4300 digits
        ("find", {"lang": "en", "figure": "funds_raised", "programme": "all", "period": "0000"}),  # date(0, 1, 1)
        ("find", {"lang": "en", "q": "大学发放" * 50}),  # a long Chinese search stays quick
        ("receipt", {"lang": "en", "`x`": "1"}),  # pages without filters show their notices too
    ],
    ids=["slide-superscript", "slide-huge", "find-year-0", "find-long-q", "receipt-notice"],
)
def test_urls_that_broke_pages(use_fuzz_store, release_lists, release_cells, page, query):
    start = time.perf_counter()
    at = open_page(page, query)
    check_page(at, query, page, release_lists, use_fuzz_store, release_cells)
    assert time.perf_counter() - start < 20
    if "slide" in query:  # the refused screen number is replaced by the first screen's
        assert at.query_params["slide"] == "1"


# ---------------------------------------------------------------- 3. a real server


SERVER_URLS = [
    (
        "overview",
        {
            "lang": "en",
            "period": "2023-02-15",
            "<script>alert(1)</script>": "1",
            "x` [c](http://evil.example/) `y": "1",
        },
    ),
    ("children_served", {"lang": "en", "region": "' OR 1=1 --", "[x](javascript:alert(1))": "x"}),
    ("funds_raised", {"lang": "zh", "period": "2023..2024", ":red[alarm]": "1", "ptype": "week"}),
    ("volunteers", {"lang": "en", "programme": "x'; DROP TABLE cell; --", "`a`\n# b": "{{7*7}}"}),
    ("disbursed_by_stage", {"lang": "en", "period": "2024-W07", "q" * 300: "9" * 20_000}),
    ("find", {"lang": "en", "figure": "funds_raised", "programme": "all", "period": "0000", "stage": "<b>"}),
    ("board", {"lang": "en", "projector": "1", "slide": "²", "../../etc/passwd": "%00"}),
    ("receipt", {"lang": "zh", "$x^2$": "1", "period": "2023-02-30"}),
    ("about", {"lang": "en", "lang ": "fr", ":material/warning:": "1"}),
]


@pytest.fixture(scope="module")
def fuzz_server(fuzz_store):
    from tests.test_browser import _require_browser, serve_portal

    chromium = _require_browser()
    with serve_portal(fuzz_store.url) as base:
        yield base, chromium


@pytest.mark.browser
@pytest.mark.slow
def test_a_real_server_shows_notices_not_tracebacks(fuzz_server, release_lists):
    from playwright.sync_api import sync_playwright

    from tools.screenshots import CHROMIUM_ARGS as ARGS

    base, chromium = fuzz_server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            for page, query in SERVER_URLS:
                TRIED["server"] += 1
                tab = browser.new_page(viewport={"width": 1280, "height": 900})
                errors: list[str] = []
                tab.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                tab.goto(f"{base}/{'' if page == 'overview' else page}?{urlencode(query)}")
                tab.wait_for_selector('[data-testid="stMain"] h1', timeout=30000)
                tab.wait_for_function(
                    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30000
                )
                tab.wait_for_timeout(500)
                body = tab.inner_text("body")
                assert "Traceback" not in body and 'File "' not in body, page
                assert t("app.error", query["lang"]) not in body, page
                lang = query["lang"] if query["lang"] in LANGS else "zh"
                parsed = params.read(query, page=page, **release_lists)
                notices = tab.locator('[data-testid="stAlertContentInfo"]').all_inner_texts()
                assert parsed.notices and notices, page
                for key, values in parsed.notices:
                    expected = t(key, lang, **values).replace("`", "")
                    assert any(expected in n.replace("\n", "") for n in notices), (page, expected, notices)
                assert tab.locator('a[href^="javascript:"]').count() == 0
                # a key that closed the notice's code span used to write a link into it
                assert tab.locator('[data-testid="stAlertContentInfo"] a').count() == 0, page
                assert tab.locator('[data-testid="stMain"] script, [data-testid="stMain"] img[src="x"]').count() == 0
                assert not errors, errors
                tab.close()
        finally:
            browser.close()


@given(st.one_of(st.none(), st.text(max_size=6), st.integers(-5, 1200).map(str)), st.integers(0, 40))
@settings(max_examples=2000, deadline=None)
def test_slide_index_is_always_a_slide(raw, slides):
    """?slide=N on the board: the asked slide when it exists, else the first; never an error
    (``²``.isdigit() is true, and int('²') raises)."""
    index = params.slide_index(raw, slides)
    assert 0 <= index < max(slides, 1)
    asked = raw is not None and raw.isascii() and raw.isdigit() and not raw.startswith("0")
    if asked and 1 <= int(raw) <= min(slides, 999):
        assert index == int(raw) - 1
    else:
        assert index == 0
