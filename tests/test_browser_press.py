"""Find, Board and the receipt check in a real browser (Playwright + Debian's chromium):
screenshots of the board in projector mode at 1920×1080 and of the find page in
artifacts/screenshots/, the projector's type large enough for the back of a room, a citation's
permalink reopening its figure in a fresh browser, a chart's PNG download of the stated size.

Skips without chromium on a laptop; under CI=true or REQUIRE_BROWSER a missing browser fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal import board, chart_export, charts, formatting, lookup, queries
from portal.db import make_engine
from portal.figures import BY_KEY
from portal.i18n import t
from tests.page_fixtures import build
from tests.test_browser import SHOTS, _require_browser, _settle, _url, serve_portal

PROJECTOR = {"width": 1920, "height": 1080}


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


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_board_projector_at_1920(server, browser, lang):
    engine, release = _store(server)
    quarter = _latest(engine, release, "quarter")
    context = browser.new_context(viewport=PROJECTOR, accept_downloads=True)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(_url(server, "board", lang=lang, programme="all", period=quarter, projector="1"))
    _settle(tab, charts=False)
    tab.wait_for_selector('[data-testid="stMetricValue"]', timeout=30000)
    tab.wait_for_timeout(800)
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"board-projector-{lang}-1.png"))
    body = tab.inner_text("body")
    assert "Traceback" not in body and t("board.title", lang) in body
    # large type: a headline value at least 56 px high, its label at least 28 px
    value_px = tab.eval_on_selector('[data-testid="stMetricValue"]', "e => parseFloat(getComputedStyle(e).fontSize)")
    label_px = tab.eval_on_selector('[data-testid="stMetricLabel"] p', "e => parseFloat(getComputedStyle(e).fontSize)")
    assert value_px >= 56 and label_px >= 28, (value_px, label_px)
    # the headline values are the store's cells
    cells = queries.cells(engine=engine, release_id=release.id, programme="all", periods=[quarter])
    expected = set()
    for figure in board.HEADLINES:
        view = charts.select(cells, figure, quarter)
        if not view.empty:
            row = view.iloc[0]
            expected.add(formatting.cell(figure, row["value"], row["status"], lang, release.k, reason=row["reason"]))
    shown = [v.strip() for v in tab.locator('[data-testid="stMetricValue"]').all_inner_texts()]
    assert shown and set(shown) <= expected, (shown, expected)
    # one screen at a time: next shows a chart image, whole and inside the screen
    for screen in range(2, 5):
        tab.get_by_role("button", name=t("board.next", lang)).click()
        tab.wait_for_timeout(1500)
        tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60000)
        tab.screenshot(path=str(SHOTS / f"board-projector-{lang}-{screen}.png"))
        assert f"slide={screen}" in tab.url
    image = tab.locator('[data-testid="stImage"] img, [data-testid="stFullScreenFrame"] img')
    if image.count():
        box = image.first.bounding_box()
        assert box["width"] >= 1200 and box["y"] + box["height"] <= PROJECTOR["height"] + 400
    assert not errors, errors
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
    with tab.expect_download(timeout=60000) as info:
        tab.get_by_role("button", name=t("export.download_png", "zh")).first.click()
    data = Path(info.value.path()).read_bytes()
    from portal import ui

    width, height = ui.CHART_EXPORT_PX
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
        tab.get_by_role("button", name=t("find.download_json", "en")).click()
    document = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    cells = queries.cells(engine=engine, release_id=release.id)
    assert document == json.loads(export.to_json(release, cells))
    context.close()
