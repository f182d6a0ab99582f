"""The real sample (``portal sample``) in a real browser, where visitors look first: the landing
page, the funds page and the board, in both languages, at desktop and phone width, for all
programmes and for each programme (three of them raise no money; two keep only volunteer
hours). Every headline a visitor reads is a number: never withheld, "—", NaN or a zero for
data the programme does not have. Screenshots go to artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import re

import pytest

from portal import queries
from portal.i18n import t
from tests.test_browser import SHOTS, _require_browser, _settle, _url, serve_portal

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
PAGES = ("overview", "funds_raised", "board")
# on a phone: all programmes and the volunteer-only hospital plan (every programme on desktop)
PHONE_PROGRAMMES = ("all", "CZ-HOSPITAL")
# the sample on SQLite (the PostgreSQL store shows the same cells: tests/test_shapes.py and
# test_stores compare them); a browser pass costs minutes
pytestmark = pytest.mark.parametrize("sample_store", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def server(sample_store):
    chromium = _require_browser()
    env = {"PORTAL_PSEUDONYM_KEY": sample_store.key.decode()}
    with serve_portal(sample_store.settings.published_store_url, env=env) as base:
        engine = sample_store.published
        release = queries.current_release(engine=engine)
        coverage = queries.programme_coverage(engine=engine, release_id=release.id, as_of=release.as_of)
        yield {"base": base, "chromium": chromium, "release": release, "coverage": coverage}


def _bad_words(lang: str, k: int) -> set[str]:
    return {t("cell.status_withheld", lang), t("cell.withheld", lang, k=k), "—", "NaN", "nan"}


def _headlines(tab) -> list[tuple[str, str]]:
    labels = tab.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = tab.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return list(zip(labels, values, strict=True))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headlines_are_numbers_where_visitors_look_first(server, browser, lang, size):
    """Landing page, funds page and board, all programmes and each programme: every headline
    is a number (a zero only where the programme really had none in the period)."""
    coverage, release = server["coverage"], server["release"]
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    bad = _bad_words(lang, release.k)
    SHOTS.mkdir(parents=True, exist_ok=True)
    read = 0
    for programme in ("all", *coverage.programmes()) if size == "desktop" else PHONE_PROGRAMMES:
        for page in PAGES:
            tab.goto(_url(server, page, lang=lang, programme=programme))
            _settle(tab, charts=False)
            tab.wait_for_timeout(400)
            text = tab.locator('[data-testid="stMain"]').inner_text()
            assert "Traceback" not in text and "NaN" not in text, (programme, page)
            shown = _headlines(tab)
            if page != "funds_raised" or coverage.has(programme, "funds_raised"):
                assert shown, (programme, page, "no headline at all")
            for label, value in shown:
                assert value.strip() not in bad, (programme, page, label, value)
                assert re.search(r"[0-9]", value) or value in _words(lang), (programme, page, label, value)
                read += 1
            tab.screenshot(path=str(SHOTS / f"sample-{page}-{programme}-{lang}-{size}.png"))
    assert not errors, errors
    assert read > 0
    context.close()


def _words(lang: str) -> set[str]:
    from portal.figures import FIGURES

    return {t("cell.not_reported", lang), *(t(f"cell.no_denominator.{f.key}", lang) for f in FIGURES if f.ratio)}
