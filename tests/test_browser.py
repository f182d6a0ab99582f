"""The portal in a real browser (Playwright + Debian's chromium) on a test store: every page
draws its charts in both languages, the language switch, permalinks, CSV downloads, and
screenshots at desktop and phone width in artifacts/screenshots/ (git-ignored).

Skips without chromium on a laptop; under CI=true or REQUIRE_BROWSER a missing browser fails."""

from __future__ import annotations

import contextlib
import io
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from portal import queries
from portal.i18n import t
from portal.vocab import DIMENSIONS
from tests.page_fixtures import PROGRAMMES, build

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
PAGES = ("overview", "funds_raised", "disbursed_by_stage", "children_served", "volunteers", "about")
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def _require_browser() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path:
        return path
    if os.environ.get("CI") == "true" or os.environ.get("REQUIRE_BROWSER"):
        pytest.fail("chromium/playwright missing: CI must run the browser tests")
    pytest.skip("no chromium on this machine")


@contextlib.contextmanager
def serve_portal(url: str, *, env: dict | None = None, log: Path | None = None):
    """The portal on ``url``'s published store, started as deployments start it
    (``python -m portal.serve``: deep links work from the first visit); yields its base URL.
    ``env`` adds to this process's environment; ``log`` keeps the server's output."""
    from bench.replicas import free_port, wait_healthy

    port = free_port()
    env = {**os.environ, **(env or {}), "PORTAL_PUBLISHED_URL": url}
    log = log or Path(tempfile.mkstemp(prefix="portal-server-", suffix=".log")[1])
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.serve", "--server.headless", "true", "--server.port", str(port),
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, timeout=60)
    except RuntimeError:
        process.kill()
        pytest.fail("the portal did not start: " + log.read_text(errors="replace")[-2000:])
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    chromium = _require_browser()
    url = os.environ.get("PORTAL_BROWSER_STORE_URL")  # look at the real sample store, by hand
    store = None
    if not url:
        store = build(tmp_path_factory.mktemp("browser") / "portal.db", seed=31)
        url = store.url
    with serve_portal(url) as base:
        yield {"base": base, "store": store, "url": url, "chromium": chromium}


def _url(server, page: str, **params) -> str:
    path = "" if page == "overview" else page
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{server['base']}/{path}?{query}"


def _settle(tab, charts: bool = True) -> None:
    tab.wait_for_selector('[data-testid="stMain"] h1', timeout=30000)
    if charts:
        tab.wait_for_selector(
            '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg', timeout=30000
        )
    tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30000)
    tab.wait_for_timeout(800)


def open_downloads(tab, lang: str, nth: int = 0) -> None:
    """Open the ``nth`` chart's downloads control (one expander holds CSV, Excel, PNG, SVG)."""
    control = tab.locator('[data-testid="stExpander"]').filter(has_text=t("chart.downloads", lang)).nth(nth)
    control.locator("summary").click()
    control.locator('[data-testid="stDownloadButton"]').first.wait_for(timeout=30000)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_draws_in_a_browser(server, browser, page, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    programme = PROGRAMMES[0] if server["store"] else "NT-CARE"
    for size, (width, height) in SIZES.items():
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        tab = context.new_page()
        errors = []
        tab.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        tab.goto(_url(server, page, lang=lang, programme=programme, period="2023"))
        _settle(tab, charts=page != "about")
        body = tab.inner_text("body")
        assert "Traceback" not in body
        assert t(f"nav.{page}", lang) in body
        assert t("notice.as_of", lang, as_of="X", release="Y", k="Z").split("X")[0].strip() in body
        if page != "about":
            assert tab.locator('[data-testid="stVegaLiteChart"]').count() >= 1
        tab.screenshot(path=str(SHOTS / f"{page}-{lang}-{size}.png"))
        # Streamlit scrolls inside its own container, so a tall viewport shows the whole page
        tab.set_viewport_size({"width": width, "height": 3600 if size == "desktop" else 7000})
        tab.wait_for_timeout(1200)
        tab.screenshot(path=str(SHOTS / f"{page}-{lang}-{size}-long.png"))
        assert not errors, errors
        context.close()


def test_language_switch_and_permalink(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    programme = PROGRAMMES[1] if server["store"] else "LY-MENTOR"
    tab.goto(_url(server, "children_served", lang="zh", programme=programme, period="2023-Q2"))
    _settle(tab)
    assert t("nav.children_served", "zh") in tab.inner_text("h1")
    tab.get_by_text("English", exact=True).click()
    title = t("nav.children_served", "en")
    tab.wait_for_function(f"() => (document.querySelector('h1') || {{innerText: ''}}).innerText.includes({title!r})")
    _settle(tab)
    assert "lang=en" in tab.url and f"programme={programme}" in tab.url and "period=2023-Q2" in tab.url
    captions = tab.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    permalink = tab.url
    context.close()

    fresh = browser.new_context(viewport={"width": 1280, "height": 900})
    again = fresh.new_page()
    again.goto(permalink)
    _settle(again)
    assert t("nav.children_served", "en") in again.inner_text("h1")
    assert again.locator('[data-testid="stCaptionContainer"]').all_inner_texts() == captions
    fresh.close()


def test_csv_download_holds_the_page_values(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    programme = PROGRAMMES[0] if server["store"] else "NT-CARE"
    tab.goto(_url(server, "disbursed_by_stage", lang="en", programme=programme, period="2023"))
    _settle(tab)
    open_downloads(tab, "en")
    with tab.expect_download() as info:
        tab.get_by_role("button", name=t("download.csv", "en")).first.click()
    raw = Path(info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must be UTF-8 with BOM"
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype={"region": str})
    context.close()
    assert len(frame) > 0 and set(frame.figure) == {"funds_disbursed"} and set(frame.programme) == {programme}
    engine = __import__("portal.db", fromlist=["make_engine"]).make_engine(server["url"], read_only=True)
    release = queries.current_release(engine=engine)
    store = queries.cells(
        engine=engine, release_id=release.id, figures=["funds_disbursed"], programme=programme, periods=["2023"]
    )
    store = store[store.stage.notna() & store[[d for d in DIMENSIONS if d != "stage"]].isna().all(axis=1)]
    assert len(store) == len(frame)
    by_stage = store.set_index("stage")
    for row in frame.itertuples():
        cell = by_stage.loc[row.stage]
        assert row.status == cell.status
        if cell.status == "published":
            assert row.value == pytest.approx(round(cell.value, 2))
        else:
            assert math.isnan(row.value)
    engine.dispose()
