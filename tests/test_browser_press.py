"""Find, Board and the receipt check in a real browser (Playwright + Debian's chromium):
screenshots of the board in projector mode at 1920×1080 and of the find page in
artifacts/screenshots/, the projector's type large enough for the back of a room, a citation's
permalink reopening its figure in a fresh browser, a chart's PNG download of the stated size.

Skips without chromium on a laptop; under CI=true or REQUIRE_BROWSER a missing browser fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal import board, board_sections, chart_export, charts, formatting, lookup, queries
from portal.db import make_engine
from portal.figures import BY_KEY
from portal.i18n import t
from tests.page_fixtures import build
from tests.test_browser import SHOTS, _require_browser, _settle, _url, open_downloads, serve_portal


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The portal as deployments start it (``python -m portal.serve``: the router answers deep
    links such as /board from the first visit on)."""
    chromium = _require_browser()
    store = build(tmp_path_factory.mktemp("browser_press") / "portal.db", seed=31)
    with serve_portal(store.url) as base:
        yield {"base": base, "store": store, "url": store.url, "chromium": chromium}


def _store(server):
    engine = make_engine(server["url"], read_only=True)
    release = queries.current_release(engine=engine)
    return engine, release


def _latest(engine, release, kind: str) -> str:
    from portal import periods

    return [p for p in queries.periods(engine=engine, release_id=release.id) if periods.period_type(p) == kind][-1]


# what a slide measures, in the browser: the page's and the slide's overflow (a scrollbar,
# or content cut off at the slide's foot), the chart's height, the counter's centre, the
# PDF button's box, and the size of the headline type
_SLIDE_MEASURE = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const slide = document.querySelector('.st-key-projector_slide');
  const chart = slide.querySelector('[data-testid="stVegaLiteChart"]');
  const bar = document.querySelector('.st-key-projector_bar');
  const counter = [...bar.querySelectorAll('p')].find(p => /\\d+\\s*(\\/|of)\\s*\\d+/.test(p.innerText));
  const box = e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const value = slide.querySelector('[data-testid="stMetricValue"] p');
  const pdf = [...bar.querySelectorAll('button')].find(b => b.innerText.includes('PDF'));
  return {
    page: Math.max(main.scrollHeight - main.clientHeight, document.documentElement.scrollHeight - innerHeight),
    wide: document.documentElement.scrollWidth - innerWidth,
    slide: slide.scrollHeight - slide.clientHeight,
    chart: chart ? chart.getBoundingClientRect().height : null,
    counter: counter ? box(counter) : null,
    text: counter ? counter.innerText : '',
    pdf: pdf ? box(pdf) : null,
    value: value ? parseFloat(getComputedStyle(value).fontSize) : null,
    cut: [...slide.querySelectorAll('.stMarkdownEllipsis, p, li, td, th')]
      .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText),
  };
}"""


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)], ids=["1920x1080", "1366x768"])
def test_board_projector_slides_fit_the_screen(server, browser, lang, size):
    """Every slide of the projector, stepped through with the → key: no scrollbar and nothing
    cut at the slide's foot, a chart at least half the screen's height, the counter in the
    middle, the PDF one click away in the bar; the first slide's figures are the store's."""
    width, height = size
    engine, release = _store(server)
    quarter = _latest(engine, release, "quarter")
    view = board.build(engine, period=quarter, programme="all", release_id=release.id)
    expected_slides = board_sections.slides(view, lang)
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(_url(server, "board", lang=lang, programme="all", period=quarter, projector="1"))
    tab.wait_for_selector(".st-key-projector_slide", timeout=30000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for number, slide in enumerate(expected_slides, start=1):
        if number > 1:
            tab.keyboard.press("ArrowRight")
            tab.wait_for_function(f"() => location.search.includes('slide={number}')", timeout=30000)
        tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60000)
        if slide.kind == "chart":
            tab.wait_for_selector(".st-key-projector_slide .vega-embed canvas, .st-key-projector_slide .vega-embed svg")
        tab.wait_for_timeout(600)
        seen = tab.evaluate(_SLIDE_MEASURE)
        tab.screenshot(path=str(SHOTS / f"board-projector-{lang}-{width}-{number}.png"))
        where = (lang, size, number, slide.kind, seen)
        assert seen["page"] <= 0 and seen["wide"] <= 0 and seen["slide"] <= 1, where
        assert not seen["cut"], where  # no figure or word cut short
        assert t("board.slide", lang, n=number, total=len(expected_slides)) == seen["text"], where
        assert abs(seen["counter"]["x"] + seen["counter"]["w"] / 2 - width / 2) < width * 0.03, where
        assert seen["pdf"] and seen["pdf"]["y"] + seen["pdf"]["h"] <= height, where
        if slide.kind == "chart":
            assert seen["chart"] >= height / 2, where
        if number == 1:
            assert seen["value"] >= 0.06 * height, where  # read from the back of the room
            shown = [v.strip() for v in tab.locator('[data-testid="stMetricValue"]').all_inner_texts()]
            cells = queries.cells(engine=engine, release_id=release.id, programme="all", periods=[quarter])
            store = []
            for row in slide.payload:
                cell = charts.select(cells, row["figure"], quarter).iloc[0]
                store.append(formatting.cell(row["figure"], cell["value"], cell["status"], lang, release.k))
            assert shown == store, where
    tab.keyboard.press("ArrowRight")  # past the last slide: back to the first
    tab.wait_for_function("() => location.search.includes('slide=1')", timeout=30000)
    body = tab.inner_text("body")
    assert "Traceback" not in body
    assert not errors, errors
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width", [1366, 390])
def test_board_page_cuts_no_figure(server, browser, lang, width):
    """The board page at a laptop's and a phone's width: every headline figure's label, value,
    change and note is whole (no "1,558 volunt…"), in reading order, and the page does not
    scroll sideways."""
    engine, release = _store(server)
    quarter = _latest(engine, release, "quarter")
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    tab.goto(_url(server, "board", lang=lang, programme="all", period=quarter))
    _settle(tab)
    # Streamlit cuts a metric's text with an ellipsis on the box around it (.stMarkdownEllipsis)
    cut = tab.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stMetric"] .stMarkdownEllipsis,'
                                              + '[data-testid="stMetric"] p')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)"""
    )
    assert not cut, cut
    assert tab.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0
    labels = [x.strip() for x in tab.locator('[data-testid="stMetricLabel"]').all_inner_texts()]
    view = board.build(engine, period=quarter, programme="all", release_id=release.id)
    assert labels == [row["name"] for row in board.headline_rows(view, lang)]
    boxes = [b for b in (m.bounding_box() for m in tab.locator('[data-testid="stMetric"]').all()) if b]
    order = sorted(range(len(boxes)), key=lambda i: (round(boxes[i]["y"]), boxes[i]["x"]))
    assert order == list(range(len(boxes)))  # left to right, then the next row
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_find_page_and_citation_permalink(server, browser, lang):
    engine, release = _store(server)
    year = _latest(engine, release, "year")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    figure = BY_KEY["funds_raised"].name(lang)
    tab.goto(_url(server, "find", lang=lang, q=f"{figure} {year}"))
    _settle(tab, charts=False)
    tab.wait_for_selector('[data-testid="stMetricValue"]', timeout=30000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"find-{lang}.png"))
    tab.set_viewport_size({"width": 1280, "height": 3000})
    tab.wait_for_timeout(800)
    tab.screenshot(path=str(SHOTS / f"find-{lang}-long.png"))
    first_value = tab.locator('[data-testid="stMetricValue"]').first.inner_text().strip()
    tab.locator('[data-testid="stExpander"] summary').first.click()
    tab.wait_for_timeout(500)
    citations = tab.locator('[data-testid="stCode"] code').all_inner_texts()[:2]  # zh, en of the first result
    links = [re.search(r"https?://\S+", c)[0] for c in citations]
    link = next(u for u in links if lookup.parse_permalink(u)[2] == lang)
    key, release_id, _ = lookup.parse_permalink(link)
    assert release_id == release.id and key.figure == "funds_raised" and key.period == year
    context.close()

    fresh = browser.new_context(viewport={"width": 1280, "height": 900})
    again = fresh.new_page()
    again.goto(link.replace(link.split("/find")[0], server["base"]))
    _settle(again, charts=False)
    again.wait_for_selector('[data-testid="stMetricValue"]', timeout=30000)
    assert again.locator('[data-testid="stMetricValue"]').first.inner_text().strip() == first_value
    fresh.close()


def test_chart_png_download_is_the_stated_size(server, browser):
    engine, release = _store(server)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    tab.goto(_url(server, "funds_raised", lang="zh", programme="all", period=_latest(engine, release, "year")))
    _settle(tab)
    open_downloads(tab, "zh")
    with tab.expect_download(timeout=60000) as info:
        tab.get_by_role("button", name=t("download.png", "zh")).first.click()
    data = Path(info.value.path()).read_bytes()
    from portal.ui import files

    width, height = files.CHART_EXPORT_PX
    assert chart_export.png_size(data) == (2 * width, 2 * height)
    context.close()


def test_board_pack_and_release_downloads_from_the_pages(server, browser):
    """The buttons build their files on click (outside the script run): a PDF, and the whole
    release as JSON equal to `portal figures --format json`."""
    import json

    from portal import export

    engine, release = _store(server)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    tab.goto(_url(server, "board", lang="en", programme="all", period=_latest(engine, release, "year")))
    _settle(tab, charts=False)
    with tab.expect_download(timeout=120000) as info:
        tab.get_by_role("button", name=t("board.pack_button", "en")).click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-") and b"NotoSansCJK" in pdf
    tab.goto(_url(server, "find", lang="en"))
    _settle(tab, charts=False)
    with tab.expect_download(timeout=120000) as info:
        tab.get_by_role("button", name=t("download.json", "en")).click()
    document = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    cells = queries.cells(engine=engine, release_id=release.id)
    assert document == json.loads(export.to_json(release, cells))
    context.close()


def test_overview_has_a_deep_link_by_its_name(server, browser):
    """Every page is at its name, the overview too: /overview opens it with the link's
    parameters, not a "Page not found" dialog; the browser tab names the page."""
    engine, release = _store(server)
    year = _latest(engine, release, "year")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(f"{server['base']}/overview?lang=en&programme=all&ptype=year&period={year}")
    _settle(tab)
    assert tab.locator('[data-testid="stMain"] h1').first.inner_text().strip() == t("nav.overview", "en")
    assert tab.locator('[role="dialog"]').count() == 0
    assert f"period={year}" in tab.url and "lang=en" in tab.url
    assert tab.title() == f"{t('nav.overview', 'en')} · {t('app.title', 'en')}"  # each tab names its page
    assert tab.evaluate("() => document.documentElement.lang") == "en"
    tab.goto(f"{server['base']}/funds_raised?lang=zh")
    _settle(tab)
    assert tab.title() == f"{t('nav.funds_raised', 'zh')} · {t('app.title', 'zh')}"
    # the page says its language, and Streamlit's skip link speaks it
    assert tab.evaluate("() => document.documentElement.lang") == "zh-CN"
    skip = tab.evaluate("() => document.querySelector('[data-testid=\"stSkipToContent\"]')?.textContent")
    assert skip == t("app.skip_to_content", "zh")
    context.close()


def test_receipt_checks_left_survive_a_reload(server, browser):
    """The limit is per visitor, not per session: after a reload the page still counts the
    checks made before it (a reload used to give five more)."""
    import secrets

    from portal import receipts

    key = secrets.token_hex(32)
    with serve_portal(server["url"], env={"PORTAL_RECEIPT_KEY": key}) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.goto(f"{base}/receipt?lang=en")
        _settle(tab, charts=False)
        for _ in range(2):
            tab.get_by_label(t("receipt.number", "en")).fill("NO-0000-000000")
            tab.get_by_label(t("receipt.amount", "en")).fill("1")
            tab.get_by_role("button", name=t("receipt.check", "en")).click()
            tab.wait_for_timeout(500)
            _settle(tab, charts=False)
        left = receipts.ATTEMPTS - 2
        assert t("receipt.attempts_left", "en", n=left) in tab.inner_text("body")
        tab.reload()
        _settle(tab, charts=False)
        tab.wait_for_timeout(500)
        assert t("receipt.attempts_left", "en", n=left) in tab.inner_text("body")
        other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # another visitor
        other.goto(f"{base}/receipt?lang=en")
        _settle(other, charts=False)
        assert t("receipt.attempts_left", "en", n=left) not in other.inner_text("body")
        context.close()
