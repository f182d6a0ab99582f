"""Accessibility in a real browser (Playwright + Debian's chromium, axe-core from its npm
package in tests/a11y/, installed by ``make install-dev``): every page of the router in both
languages has no serious or critical axe violation (colour contrast included); every chart
has a text alternative (its aria-label) and a table twin; the keyboard alone reaches each
filters (one control at the top) and the downloads, with a visible focus, and changes a filter.

Nothing is excluded from axe's run: Streamlit's own chrome passes as it is. The counts of
violations by impact (moderate and minor ones too, which do not fail) are written to
artifacts/a11y/axe-violations.json and printed at the end of the module.

Skips without chromium or axe-core on a laptop; under CI=true or REQUIRE_BROWSER a missing
one fails."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.i18n import t
from tests.conftest import report_line
from tests.page_fixtures import PROGRAMMES, build
from tests.test_browser import _require_browser, _settle, serve_portal
from tools.screenshots import router_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
TALLY_FILE = ROOT / "artifacts" / "a11y" / "axe-violations.json"
IMPACTS = ("critical", "serious", "moderate", "minor")
FAILING = ("critical", "serious")


PAGES = router_pages()
CHART_PAGES = ("overview", "funds_raised", "disbursed_by_stage", "children_served", "volunteers", "board")
FILTERS = ("filter.programme", "filter.period_type", "filter.period", "filter.region")
VIEW = {"programme": PROGRAMMES[0], "ptype": "year", "period": "2023"}
# more states of some pages, each run through axe too: every programme together (no stage
# standards), a county and a quarter, search results, the board's projector mode
EXTRA_VIEWS = {
    "overview-all": ("overview", {"programme": "all", "ptype": "all", "period": "all"}),
    "children_served-county": (
        "children_served",
        {**VIEW, "ptype": "quarter", "period": "2023-Q2", "region": "990101"},
    ),
    "disbursed_by_stage-all": ("disbursed_by_stage", {"programme": "all", "ptype": "year", "period": "2023"}),
    "find-search": ("find", {"q": "2023"}),
    "board-projector": ("board", {**VIEW, "projector": "1"}),
}

TALLY: dict = {"pages": 0, "by_impact": Counter(), "nodes_by_impact": Counter(), "by_rule": Counter(), "views": {}}


def _require_axe() -> Path:
    if AXE.is_file():
        return AXE
    if os.environ.get("CI") == "true" or os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(f"{AXE.relative_to(ROOT)} missing: run `make install-dev` (npm ci --prefix tests/a11y)")
    pytest.skip("axe-core is not installed (npm ci --prefix tests/a11y)")


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    chromium = _require_browser()
    axe = _require_axe()
    store = build(tmp_path_factory.mktemp("a11y") / "portal.db", seed=31)
    with serve_portal(store.url) as base:
        yield {"base": base, "chromium": chromium, "axe": axe}
    _report_tally(request.config)


def _report_tally(config) -> None:
    """Write and print the violations counted over the module (all impacts)."""
    if not TALLY["pages"]:
        return
    out = {
        "pages_checked": TALLY["pages"],
        "violations_by_impact": {i: TALLY["by_impact"][i] for i in IMPACTS},
        "nodes_by_impact": {i: TALLY["nodes_by_impact"][i] for i in IMPACTS},
        "by_rule": dict(sorted(TALLY["by_rule"].items())),
        "views": {view: found for view, found in sorted(TALLY["views"].items()) if found},
    }
    TALLY_FILE.parent.mkdir(parents=True, exist_ok=True)
    TALLY_FILE.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    line = f"axe over {out['pages_checked']} page views: " + ", ".join(
        f"{i} {out['violations_by_impact'][i]} ({out['nodes_by_impact'][i]} nodes)" for i in IMPACTS
    )
    report_line(config, f"{line} → {TALLY_FILE.relative_to(ROOT)}")


def _url(server, page: str, params: dict) -> str:
    path = "" if page == "overview" else page
    return f"{server['base']}/{path}?" + "&".join(f"{k}={v}" for k, v in params.items())


def _open(browser, server, page: str, lang: str, params: dict, *, width: int = 1280, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(_url(server, page, {"lang": lang, **params}))
    charts = page in CHART_PAGES and params.get("projector") != "1"
    _settle(tab, charts=charts)
    if charts:  # every chart in view drawn, not only the first (one in a tab not shown waits)
        tab.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                     .filter(c => c.getClientRects().length).every(c => c.querySelector('svg, canvas'))""",
            timeout=30000,
        )
    assert "Traceback" not in tab.inner_text("body")
    return context, tab, errors


def _axe(tab, axe: Path) -> list[dict]:
    tab.add_script_tag(path=str(axe))
    return tab.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                                          summary: (n.failureSummary || '').slice(0, 300)})),
            }));
        }"""
    )


def _count(view: str, violations: list[dict]) -> None:
    TALLY["pages"] += 1
    TALLY["views"][view] = [
        f"{v['id']} ({v['impact']}): " + ", ".join(n["target"] for n in v["nodes"]) for v in violations
    ]
    for v in violations:
        TALLY["by_impact"][v["impact"]] += 1
        TALLY["nodes_by_impact"][v["impact"]] += len(v["nodes"])
        TALLY["by_rule"][f"{v['id']} ({v['impact']})"] += len(v["nodes"])


def _failing(violations: list[dict]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']}\n    "
        + "\n    ".join(f"{n['target']}: {n['summary']}" for n in v["nodes"])
        for v in violations
        if v["impact"] in FAILING
    ]


# ------------------------------------------------------------------ axe on every page, both languages


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_axe_finds_no_serious_violation(server, browser, page, lang):
    context, tab, errors = _open(browser, server, page, lang, VIEW)
    violations = _axe(tab, server["axe"])
    _count(f"{page}-{lang}", violations)
    if page in CHART_PAGES:
        _check_charts(tab, lang)
    context.close()
    assert not _failing(violations), "\n".join(_failing(violations))
    assert not errors, errors


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("view", EXTRA_VIEWS)
def test_axe_on_other_views(server, browser, view, lang):
    page, params = EXTRA_VIEWS[view]
    context, tab, errors = _open(browser, server, page, lang, params)
    violations = _axe(tab, server["axe"])
    _count(f"{view}-{lang}", violations)
    if page in CHART_PAGES and params.get("projector") != "1":
        _check_charts(tab, lang)
    context.close()
    assert not _failing(violations), "\n".join(_failing(violations))
    assert not errors, errors


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_axe_at_phone_width(server, browser, lang):
    """The sidebar folds away on a phone: its toggle and the page still pass."""
    context, tab, errors = _open(browser, server, "children_served", lang, VIEW, width=390, height=844)
    violations = _axe(tab, server["axe"])
    _count(f"children_served-phone-{lang}", violations)
    context.close()
    assert not _failing(violations), "\n".join(_failing(violations))
    assert not errors, errors


# ------------------------------------------------------------------ charts: a text alternative and a table


def _check_charts(tab, lang: str) -> None:
    """Every chart is named (vega-embed sets the spec's description as the aria-label of its
    graphics-document) and is followed, before the next chart, by its table twin."""
    twin = t("chart.table_twin", lang)
    # a chart in a tab not shown is drawn when its tab opens: open each (a drawn one stays drawn)
    for each in tab.locator('[data-testid="stTabs"] [role="tab"]').all():
        each.click()
        tab.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                     .filter(c => c.getClientRects().length).every(c => c.getAttribute('role'))""",
            timeout=30000,
        )
    found = tab.evaluate(
        """(twin) => {
            const nodes = [...document.querySelectorAll(
                '[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"], [data-testid="stExpander"]')];
            return nodes.map(n => n.matches('[data-testid="stExpander"]')
                ? {kind: 'expander', label: (n.querySelector('summary') || n).innerText.trim().split('\\n').pop(),
                   table: !!n.querySelector('[data-testid="stDataFrame"], [data-testid="stTable"]')}
                : {kind: 'chart', role: n.getAttribute('role'),
                   name: (n.getAttribute('aria-label') || '').trim()});
        }""",
        twin,
    )
    charts = [n for n in found if n["kind"] == "chart"]
    assert charts, "a chart page without a chart"
    for chart in charts:
        assert chart["role"] == "graphics-document", chart
        # vega-embed names a chart without a description "Vega visualization"
        assert chart["name"] not in ("", "Vega visualization"), f"a chart without a text alternative: {chart}"
    names = [c["name"] for c in charts]
    assert len(set(names)) == len(names), f"two charts share one text alternative: {names}"
    for i, node in enumerate(found):
        if node["kind"] != "chart":
            continue
        # (a twin in a tab not shown has no laid-out lines: its label is the summary's whole text)
        following = next((n for n in found[i + 1 :] if n["kind"] == "chart" or n["label"].endswith(twin)), None)
        assert following is not None and following["kind"] == "expander", f"no table twin after {node['name']!r}"
        assert following["table"], f"the table twin of {node['name']!r} holds no table"
    low = tab.evaluate(CHART_TEXT_CONTRAST_JS)
    assert not low, f"chart text below 4.5:1 (axe does not look inside SVG): {low[:5]}"


# axis labels, legends, titles and value labels drawn in a chart's SVG, against its background
CHART_TEXT_CONTRAST_JS = """() => {
    const rgb = s => (s.match(/[0-9.]+/g) || []).slice(0, 3).map(Number);
    const channel = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    const lum = c => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
    const low = [];
    for (const svg of document.querySelectorAll('[data-testid="stVegaLiteChart"] svg')) {
        const bg = rgb(getComputedStyle(svg).backgroundColor);
        const page = bg.length === 3 ? bg : [255, 255, 255];
        const bars = [...svg.querySelectorAll('g.mark-rect path')].map(p => [p.getBoundingClientRect(), p]);
        for (const text of svg.querySelectorAll('text')) {
            if (!text.textContent.trim()) continue;
            const style = getComputedStyle(text);
            const fill = rgb(style.fill);
            if (fill.length !== 3 || style.fillOpacity === '0') continue;
            // set against what is behind it: a bar when it sits inside one (a long bar's value)
            const r = text.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
            const under = bars.find(([b]) => b.width && x > b.left && x < b.right && y > b.top && y < b.bottom);
            const back = under ? rgb(getComputedStyle(under[1]).fill) : page;
            const [a, b] = [lum(fill), lum(back)].sort((x, y) => y - x);
            const ratio = (a + 0.05) / (b + 0.05);
            if (ratio < 4.5) low.push(`${text.textContent.slice(0, 30)}: ${style.fill} ${ratio.toFixed(2)}:1`);
        }
    }
    return low;
}"""


# ------------------------------------------------------------------ keyboard only

FOCUS_JS = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const widget = e.closest(
        '[data-testid="stSelectbox"], [data-testid="stDownloadButton"], [data-testid="stExpander"]');
    const chain = [];
    for (let x = e; x && x !== widget?.parentElement; x = x.parentElement) {
        const s = getComputedStyle(x);
        chain.push([s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor].join(' | '));
        if (!widget) break;
    }
    return {
        kind: widget ? widget.dataset.testid : e.tagName,
        label: widget ? (widget.querySelector('label') || widget).innerText.trim().split('\\n')[0] : '',
        name: e.getAttribute('aria-label') || (e.innerText || '').trim().slice(0, 40),
        sidebar: !!e.closest('[data-testid="stSidebar"]'),
        open: !!(widget && widget.querySelector('details[open]')),
        chain,
    };
}"""

UNFOCUSED_JS = """() => [...document.querySelectorAll(
    '[data-testid="stSelectbox"], [data-testid="stDownloadButton"], [data-testid="stExpander"]')]
    .map(w => {
        const e = w.querySelector('input, button');
        const chain = [];
        for (let x = e; x && x !== w.parentElement; x = x.parentElement) {
            const s = getComputedStyle(x);
            chain.push([s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor].join(' | '));
        }
        return [(w.querySelector('label') || w).innerText.trim().split('\\n')[0], chain];
    })"""


def _focus_visible(chain: list[str], unfocused: list[str] | None) -> bool:
    """The focused element or its widget shows focus: an outline or a ring (box-shadow), or
    the widget's frame changes colour (Streamlit's selectboxes colour their border)."""
    own = chain[0].split(" | ")
    if (own[0] != "none" and own[1] != "0px") or own[3] != "none":
        return True
    return unfocused is not None and chain != unfocused


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_keyboard_reaches_filters_and_downloads(server, browser, lang):
    context, tab, errors = _open(browser, server, "disbursed_by_stage", lang, VIEW)
    # the filters' look without focus is read with their control open (closed, they are not drawn)
    tab.locator(".st-key-filters summary").click()
    tab.wait_for_timeout(300)
    tab.evaluate("() => document.activeElement.blur()")
    unfocused = dict(tab.evaluate(UNFOCUSED_JS))
    wanted = {t(key, lang) for key in FILTERS}
    # a chart's downloads sit in one control, and so do the filters (at the top of the page):
    # Tab reaches it, Enter opens it, Tab goes on inside
    menu, filters = t("chart.downloads", lang), t("filter.button", lang, view="")
    downloads = {menu, t("download.csv", lang), t("download.xlsx", lang)}
    wanted.add(filters)
    reached: dict[str, dict] = {}
    for _ in range(200):
        tab.keyboard.press("Tab")
        focus = tab.evaluate(FOCUS_JS)
        if focus is None:
            continue
        for control in (filters, menu):
            if focus["kind"] == "stExpander" and control.strip() in focus["name"] and control not in reached:
                reached[control] = focus
                if not focus["open"]:
                    tab.keyboard.press("Enter")
                    tab.wait_for_timeout(300)
        if focus["kind"] == "stSelectbox" and not focus["sidebar"] and focus["label"] in wanted:
            reached.setdefault(focus["label"], focus)
        if focus["kind"] == "stDownloadButton" and not focus["sidebar"] and focus["name"] in downloads:
            reached.setdefault(focus["name"], focus)
        if wanted | downloads <= reached.keys():
            break
    missing = (wanted | downloads) - reached.keys()
    assert not missing, f"Tab never reaches {sorted(missing)}"
    for label, focus in reached.items():
        assert _focus_visible(focus["chain"], unfocused.get(label)), f"no visible focus on {label}: {focus}"
    context.close()
    assert not errors, errors


def test_keyboard_changes_a_filter(server, browser):
    """Tab to the programme, open its list and take the next one, by keyboard: the view and
    its URL follow."""
    context, tab, errors = _open(browser, server, "disbursed_by_stage", "en", VIEW)
    label = t("filter.programme", "en")
    for _ in range(200):
        tab.keyboard.press("Tab")
        focused = tab.evaluate(
            "() => document.activeElement?.tagName === 'SUMMARY' && document.activeElement.innerText"
        )
        if focused and t("filter.button", "en", view="").strip() in focused:
            tab.keyboard.press("Enter")  # the filters' control opens; Tab goes on inside it
            tab.wait_for_timeout(300)
        if tab.evaluate("() => document.activeElement?.getAttribute('aria-label')") == label:
            break
    else:
        pytest.fail("Tab never reaches the programme filter")
    before = parse_qs(urlsplit(tab.url).query)["programme"]
    for key in ("Enter", "ArrowDown", "Enter"):
        tab.keyboard.press(key)
        tab.wait_for_timeout(150)
    deadline = time.monotonic() + 20
    while parse_qs(urlsplit(tab.url).query).get("programme") == before and time.monotonic() < deadline:
        tab.wait_for_timeout(200)
    after = parse_qs(urlsplit(tab.url).query).get("programme")
    assert after != before, f"the keyboard did not change the programme (still {before})"
    assert after[0] in (*PROGRAMMES, "all")
    _settle(tab)
    assert tab.evaluate("() => document.activeElement?.getAttribute('aria-label')") == label, "focus was lost"
    context.close()
    assert not errors, errors
