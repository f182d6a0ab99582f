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
        yield {"base": base, "chromium": chromium, "release": release, "coverage": coverage, "engine": engine}


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


# ------------------------------------------------------------------ every page, every width (#14)

WIDTHS = {"phone": (390, 844), "desktop": (1366, 900), "projector": (1920, 1080)}
CHART_PAGES = ("overview", "funds_raised", "disbursed_by_stage", "children_served", "volunteers", "board")
# what a page may show of the other language: file formats, the language switch, codes
ALLOWED = {
    "zh": {"CSV", "Excel", "PNG", "SVG", "JSON", "PDF", "XLSX", "OpenAPI", "English", "Language", "K", "HMAC", "SHA"},
    "en": {"中文", "语言"},  # the language switch speaks both, so a reader of either finds it
}
LAYOUT_JS = """() => {
  const out = {overflow: [], clipped: [], axes: [], text: ""};
  const width = window.innerWidth;
  const main = document.querySelector('[data-testid="stMain"]');
  const page = document.scrollingElement;
  if (page.scrollWidth > width + 1) out.overflow.push(["page", page.scrollWidth]);
  if (main.scrollWidth > main.clientWidth + 1) out.overflow.push(["main", main.scrollWidth, main.clientWidth]);
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden"
    && !el.closest("details:not([open])");
  const cells = ['stMetricValue', 'stMetricLabel', 'stMetricDelta'].map(id => `[data-testid="${id}"]`)
    .concat(['[data-testid="stTable"] td', '[data-testid="stTable"] th']).join(", ");
  // a cell past the screen's edge inside a box that scrolls sideways is reachable, not cut
  const scrolls = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement)
      if (["auto", "scroll"].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth) return true;
    return false;
  };
  for (const el of document.querySelectorAll(cells)) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    const past = (r.right > width + 1 || r.left < -1) && !scrolls(el);
    if (el.scrollWidth > el.clientWidth + 1 || past) out.clipped.push(el.innerText);
  }
  // a headline's number on two lines ("CNY 23,759,866.0" / "0") is cut too; words may wrap at a space
  for (const el of document.querySelectorAll('[data-testid="stMetricValue"]')) {
    const range = document.createRange();
    range.selectNodeContents(el);
    // a run in another font (人, 万元) sits a pixel or two off; a new line is half a line down
    const tops = [...range.getClientRects()].map(r => r.top);
    const broken = tops.length && Math.max(...tops) - Math.min(...tops) > parseFloat(getComputedStyle(el).fontSize) / 2;
    if (shown(el) && broken && !/ /.test(el.innerText.trim())) out.clipped.push("broken " + el.innerText);
  }
  for (const el of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    const r = el.getBoundingClientRect();
    if (shown(el) && (r.right > width + 1 || r.left < -1)) out.clipped.push("a table past the edge");
  }
  for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    const svg = chart.querySelector("svg.marks");
    if (!svg || !shown(chart)) continue;
    const box = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll("text")) {
      const r = text.getBoundingClientRect();
      // 3 px: a glyph box (a CJK line's height) may pass the frame by what is only blank
      const out_of = r.right > box.right + 3 || r.left < box.left - 3
        || r.top < box.top - 3 || r.bottom > box.bottom + 3;
      if (r.width && out_of)
        out.clipped.push("chart text " + text.textContent);
    }
    const axes = [...svg.querySelectorAll("g.role-axis")];
    if (axes.length) out.axes.push({
      titles: axes.map(a => [...a.querySelectorAll("g.role-axis-title text")].map(t => t.textContent).join(" ")),
      labels: axes.map(a => [...a.querySelectorAll("g.role-axis-label text")].map(t => t.textContent).join(" ")),
    });
  }
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walk.nextNode()) {
    const node = walk.currentNode, el = node.parentElement;
    // icons are ligatures ("download" drawn as a glyph), codes are data: not words of a sentence
    if (!el || el.closest("script, style, noscript, code, [translate=no]") || !el.getClientRects().length) continue;
    parts.push(node.textContent);
  }
  out.text = parts.join("\\n");
  return out;
}"""
UNITS = {
    "zh": ("元", "人", "次", "小时", "笔", "%"),
    "en": ("CNY", "children", "child-times", "hours", "visits", "donations", "donors", "volunteers", "%"),
}


def _names(server, lang: str) -> set[str]:
    """Programme and region names of the release, as the page shows them in ``lang``: names are
    the one thing a page may hold in the other script (a county has no English name here)."""
    frame = queries.labels(engine=server["engine"], release_id=server["release"].id)
    column = "name_zh" if lang == "zh" else "name_en"
    return {str(v) for v in frame[column].dropna()}


def _foreign(text: str, lang: str, names: set[str], release: str) -> set[str]:
    """Words of the other language in a page's visible text, outside the allow-list."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    text = text.replace(release, " ")
    text = re.sub(r"https?://\S+", " ", text)
    if lang == "zh":
        words = set(re.findall(r"[A-Za-z][A-Za-z'’-]*", text))
        return {w for w in words if w not in ALLOWED["zh"] and not re.fullmatch(r"[A-Z]{2,}(-[A-Z]+)*", w)}
    return set(re.findall(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]+", text)) - ALLOWED["en"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_fits_and_speaks_one_language(server, browser, lang):
    """Every page in each language at 390, 1366 and 1920 px: no horizontal overflow, no metric,
    table cell or chart label cut off, every chart's value axis names its unit, and no word of
    the other language outside names and an allow-list (file formats, the language switch,
    codes such as NT-CARE). ``/overview`` opens the overview without a dialog."""
    from tools.screenshots import PAGES

    release = server["release"]
    names = _names(server, lang)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    problems = []
    # every page at every width; the chart pages by quarter too (their axes name quarters)
    views = [(page, {}, WIDTHS) for page in PAGES]
    views += [(page, {"ptype": "quarter"}, {"desktop": WIDTHS["desktop"]}) for page in CHART_PAGES]
    for page, extra, widths in views:
        tab.set_viewport_size({"width": 1366, "height": 900})
        tab.goto(_url(server, page, lang=lang, **extra))
        _settle(tab, charts=False)
        for size, (width, height) in widths.items():
            tab.set_viewport_size({"width": width, "height": height})
            tab.wait_for_timeout(900)  # charts re-lay out to their container
            tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30000)
            seen = tab.evaluate(LAYOUT_JS)
            where = f"{page} {lang} {size} {extra}"
            problems += [f"{where}: overflow {o}" for o in seen["overflow"]]
            problems += [f"{where}: clipped {c!r}" for c in seen["clipped"]]
            for axis in seen["axes"]:
                said = " ".join(axis["titles"] + axis["labels"])
                if not any(unit in said for unit in UNITS[lang]):
                    problems.append(f"{where}: an axis without a unit {axis}")
            foreign = _foreign(seen["text"], lang, names, release.id)
            if foreign:
                problems.append(f"{where}: other language {sorted(foreign)}")
    tab.goto(f"{server['base']}/overview?lang={lang}")
    _settle(tab, charts=False)
    assert tab.locator('[role="dialog"]').count() == 0
    assert tab.locator('[data-testid="stMain"] h1').first.inner_text().strip() == t("nav.overview", lang)
    context.close()
    assert not errors, errors
    assert not problems, "\n".join(problems[:60])
