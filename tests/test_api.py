"""The open-data API and the chart embeds on a real portal server (``python -m portal.serve``,
which serves ``asgi.py``): every answer equals ``portal figures`` for the same release and
filters; ETag and 304, CORS, cache and frame headers; a JSON 400 naming the parameter for
hostile query strings (hypothesis), never a traceback; the OpenAPI document validates and lists
every route; an embed framed by a page from another origin draws its chart in Chromium.

The browser test skips without chromium on a laptop; under CI=true it fails instead."""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import json
import string
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import redirect_stdout

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import api, cli, embed, export, open_data, openapi, queries
from portal.db import make_engine
from portal.figures import FIGURES
from portal.settings import Settings
from portal.vocab import DIMENSIONS, VOCAB_DIMENSIONS, vocabulary
from tests.page_fixtures import build
from tests.test_browser import _require_browser, serve_portal


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    store = build(tmp_path_factory.mktemp("api") / "portal.db", seed=43)
    with serve_portal(store.url) as base:
        engine = make_engine(store.url, read_only=True)
        release = queries.current_release(engine=engine)
        yield {"base": base, "url": store.url, "engine": engine, "release": release}


def get(portal, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(portal["base"] + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def figures_command(portal, *args: str) -> bytes:
    """``portal figures ARGS`` on the served store, in this process (stdout captured)."""
    parsed = cli.build_parser("en", "en").parse_args(["--lang", "en", "figures", *args])
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with redirect_stdout(out):
        assert cli.cmd_figures(parsed, Settings(published_url=portal["url"])) == 0
        out.flush()
    return out.buffer.getvalue()


def _queries(portal) -> list[dict[str, str]]:
    """Queries over what the release holds: every figure alone, programmes, periods, a
    breakdown, totals only, a fixed code, several values at once."""
    cells = queries.cells(engine=portal["engine"], release_id=portal["release"].id)
    programme = sorted(set(cells["programme"]) - {"all"})[0]
    year = sorted(p for p in set(cells["period"]) if len(p) == 4)[-1]
    stage_code = cells["stage"].dropna().iloc[0]
    out = [{}, {"by": "none"}, {"programme": programme, "period": year}, {"by": "stage", "period": f"{year},all"}]
    out += [{"figure": f} for f in sorted(set(cells["figure"]))]
    out += [{"figure": "funds_disbursed,children_served", "stage": stage_code, "lang": "zh"}]
    out += [{"figure": "funds_raised", "by": "none", "period": year, "lang": "en"}]
    return out


def _cli_args(query: dict[str, str]) -> list[str]:
    args = []
    for name, value in query.items():
        if name == "lang":
            args += ["--labels", value]
        elif name in DIMENSIONS:
            args += ["--where", f"{name}={value}"]
        else:
            args += [f"--{name}", value]
    return args


# ---------------------------------------------------------------- answers equal the CLI's


def test_figures_json_and_csv_equal_the_command_for_the_same_filters(portal):
    for query in _queries(portal):
        encoded = urllib.parse.urlencode(query)
        status, headers, body = get(portal, f"/api/v1/figures?{encoded}")
        assert status == 200, (query, body[:300])
        assert headers["x-portal-release"] == portal["release"].id
        expected = figures_command(portal, "--format", "json", *_cli_args(query))
        assert body.decode("utf-8") == expected.decode("utf-8").rstrip("\n"), query
        document = json.loads(body)
        assert document["release"] == portal["release"].id and document["k"] == portal["release"].k
        csv_query = {k: v for k, v in query.items() if k != "lang"}
        status, headers, csv_body = get(portal, f"/api/v1/figures.csv?{urllib.parse.urlencode(csv_query)}")
        assert status == 200 and headers["content-type"].startswith("text/csv")
        assert csv_body == figures_command(portal, "--format", "csv", *_cli_args(csv_query)), query
        assert csv_body.startswith(b"\xef\xbb\xbf")  # the BOM Excel on Chinese Windows needs
        assert len(pd.read_csv(io.BytesIO(csv_body), encoding="utf-8-sig")) == len(document["cells"])


def test_filters_select_exactly_the_cells_they_name(portal):
    """Against the store itself: a breakdown has its dimension set and every other one empty."""
    release = portal["release"].id
    everything = queries.cells(engine=portal["engine"], release_id=release)
    for dimension in ("stage", "region", "channel"):
        _, _, body = get(portal, f"/api/v1/figures?by={dimension}")
        cells = json.loads(body)["cells"]
        expected = everything[everything[dimension].notna()]
        for other in DIMENSIONS:
            if other != dimension:
                expected = expected[expected[other].isna()]
        assert len(cells) == len(expected) > 0
        assert all(c[dimension] is not None for c in cells)
    _, _, body = get(portal, "/api/v1/figures?by=none")
    totals = json.loads(body)["cells"]
    assert len(totals) == int(everything[list(DIMENSIONS)].isna().all(axis=1).sum())
    _, _, body = get(portal, "/api/v1/figures")
    withheld = [c for c in json.loads(body)["cells"] if c["status"] != "published"]
    assert withheld and all(c["value"] is None and c["reason"] for c in withheld)  # no value, and why


def test_releases_and_glossary(portal):
    status, headers, body = get(portal, "/api/v1/releases")
    document = json.loads(body)
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    stored = queries.releases(engine=portal["engine"])
    assert [r["id"] for r in document["releases"]] == [r.id for r in stored]
    assert document["current"] == portal["release"].id
    assert [r["current"] for r in document["releases"]].count(True) == 1
    first = document["releases"][0]
    assert first["as_of"] == stored[0].as_of.isoformat() and first["k"] == stored[0].k

    _, _, body = get(portal, "/api/v1/glossary")
    glossary = json.loads(body)
    assert [f["key"] for f in glossary["figures"]] == [f.key for f in FIGURES]
    for declared, served in zip(FIGURES, glossary["figures"], strict=True):
        assert served["name"] == {"zh": declared.name_zh, "en": declared.name_en}
        assert served["definition"]["zh"] == declared.definition_zh
        assert (served["unit"], served["decimals"]) == (declared.unit, declared.decimals)
    for dimension in VOCAB_DIMENSIONS:
        assert [c["code"] for c in glossary["vocabularies"][dimension]["codes"]] == list(vocabulary(dimension).codes)
    labels = queries.labels(engine=portal["engine"], release_id=portal["release"].id)
    assert {p["code"] for p in glossary["programmes"]} == set(labels[labels["dimension"] == "programme"]["code"])


def test_datapackage_describes_the_csv(portal):
    _, _, body = get(portal, "/api/v1/datapackage.json")
    package = json.loads(body)
    resource = package["resources"][0]
    _, _, csv_body = get(portal, "/api/v1/figures.csv?" + resource["path"].split("?", 1)[1])
    header = pd.read_csv(io.BytesIO(csv_body), encoding="utf-8-sig", nrows=0).columns.tolist()
    assert [f["name"] for f in resource["schema"]["fields"]] == header == export.labelled_columns()
    assert package["version"] == portal["release"].id and package["licenses"][0]["name"] == "CC-BY-4.0"
    assert all(f["description"] for f in resource["schema"]["fields"])


# ---------------------------------------------------------------- HTTP behaviour


def test_etag_304_cache_and_cors(portal):
    path = "/api/v1/figures?figure=funds_raised&by=none"
    status, headers, _ = get(portal, path)
    etag = headers["etag"]
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    assert "max-age" in headers["cache-control"] and "public" in headers["cache-control"]
    status, again, empty = get(portal, path, {"If-None-Match": etag})
    assert status == 304 and empty == b"" and again["etag"] == etag
    assert get(portal, path, {"If-None-Match": '"other", W/' + etag})[0] == 304
    assert get(portal, path, {"If-None-Match": '"other"'})[0] == 200
    assert get(portal, "/api/v1/figures?figure=donors&by=none")[1]["etag"] != etag
    # a named release never changes: a CDN may keep it
    _, fixed, _ = get(portal, f"{path}&release={portal['release'].id}")
    assert "immutable" in fixed["cache-control"]


def test_refusals_are_json_naming_the_parameter(portal):
    cases = {
        "/api/v1/figures?figure=nope": "figure",
        "/api/v1/figures?stage=primry": "stage",
        "/api/v1/figures?period=2023-13": "period",
        "/api/v1/figures?colour=red": "colour",
        "/api/v1/figures?release=1999-01-01.9": "release",
        "/api/v1/figures?programme=all&programme=all": "programme",
        "/api/v1/figures?by=stage,nope": "by",
        "/api/v1/figures?lang=fr": "lang",
        "/api/v1/releases?figure=funds_raised": "figure",
        "/api/v1/glossary?lang=en&by=stage": "by",
    }
    for path, parameter in cases.items():
        status, headers, body = get(portal, path)
        error = json.loads(body)["error"]
        assert status == 400 and error["parameter"] == parameter, (path, body)
        assert headers["access-control-allow-origin"] == "*" and error["message"]
    status, _, body = get(portal, "/api/v1/nothing-here")
    assert status == 404 and json.loads(body)["error"]["reason"] == "not_found"
    request = urllib.request.Request(portal["base"] + "/api/v1/figures", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405 and json.loads(refused.value.read())["error"]["reason"] == "method"


NAMES = list(open_data.FIGURE_QUERY)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=60)


@st.composite
def hostile(draw) -> tuple[str, str]:
    """A query string with exactly one thing wrong in it, and the parameter that is wrong."""
    valid = {"figure": "funds_raised", "programme": "all", "period": "all", "by": "none", "lang": "en"}
    chosen = draw(st.lists(st.sampled_from(sorted(valid)), unique=True, max_size=3))
    pairs = [(name, valid[name]) for name in chosen]
    kind = draw(st.sampled_from(("unknown_name", "bad_value", "long_value", "repeated")))
    if kind == "unknown_name":
        name = draw(_text.filter(lambda s: s and s not in NAMES and "=" not in s and "&" not in s))
        value = draw(_text)
    elif kind == "repeated" and pairs:
        name, value = pairs[0]
    else:
        name = draw(st.sampled_from([n for n in NAMES if n not in chosen]))
        value = draw(_text if kind == "bad_value" else st.text(string.ascii_letters, min_size=201, max_size=400))
        if kind == "bad_value" and _valid_value(name, value):
            value = value + "\u0000x"
    pairs.insert(draw(st.integers(0, len(pairs))), (name, value))
    return urllib.parse.urlencode(pairs), name


def _valid_value(name: str, value: str) -> bool:
    try:
        open_data.parse({name: value}, names={("programme", "TP-ALPHA"): ("", "")})
    except open_data.BadParameter:
        return False
    return True


def test_hostile_query_strings_get_a_json_400_never_a_traceback(portal):
    seen = {"n": 0}

    @settings(max_examples=1000, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(hostile())
    def check(case):
        query, parameter = case
        status, headers, body = get(portal, "/api/v1/figures?" + query)
        assert status == 400, (query, status, body[:200])
        assert headers["content-type"].startswith("application/json")
        assert b"Traceback" not in body and b'File "' not in body
        error = json.loads(body)["error"]
        assert error["parameter"] == open_data.shown(parameter), (query, error)  # said back, printable
        seen["n"] += 1

    check()
    assert seen["n"] == 1000


def test_portal_pages_refuse_framing_and_embeds_allow_it(portal):
    _, page, _ = get(portal, "/")
    assert "frame-ancestors 'self'" in page["content-security-policy"] and page["x-frame-options"] == "SAMEORIGIN"
    status, headers, body = get(portal, "/embed/funds_disbursed?by=stage&period=all")
    assert status == 200 and "frame-ancestors *" in headers["content-security-policy"]
    assert "x-frame-options" not in headers and b"<script>" not in body  # no inline script
    for by in ("nope", "stage"):  # funds raised has no stage: donations are not paid to a stage
        status, _, body = get(portal, f"/embed/funds_raised?by={by}")
        assert status == 400 and json.loads(body)["error"]["parameter"] == "by"


# ---------------------------------------------------------------- the description


def test_openapi_document_validates_and_lists_every_route(portal):
    from openapi_spec_validator import validate

    status, _, body = get(portal, "/api/v1/openapi.json")
    document = json.loads(body)
    assert status == 200
    validate(document)
    served = {path for path, _endpoint, _name in api.ROUTES}
    assert set(document["paths"]) == served
    assert document["servers"][0]["url"] == portal["base"]
    figure_parameters = {p["name"] for p in document["paths"]["/api/v1/figures"]["get"]["parameters"]}
    assert figure_parameters == set(open_data.FIGURE_QUERY)
    assert openapi.document("https://example.org") != document  # the base is the request's


# ---------------------------------------------------------------- embeds in a browser


@contextlib.contextmanager
def _other_origin(html: str):
    """A newsroom's page on another port, framing the embed."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html.encode("utf-8"))

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_embed_framed_by_another_origin_draws_its_chart(portal, lang):
    from playwright.sync_api import sync_playwright

    from tools.screenshots import CHROMIUM_ARGS

    chromium = _require_browser()
    base = portal["base"].replace("localhost", "127.0.0.1")
    bar = embed.embed_url(base, ["funds_disbursed"], lang=lang, programme="all", period="all", ptype="all", by="stage")
    trend = embed.embed_url(
        base, ["funds_raised", "funds_disbursed"], lang=lang, programme="all", period="all", ptype="year", by=None
    )
    page = "<!doctype html><h1>Article</h1>" + embed.iframe(bar, "bar") + embed.iframe(trend, "trend")
    with _other_origin(page) as article, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 900, "height": 1200})
        tab.goto(article)
        frames = []
        for url in (bar, trend):
            for _ in range(100):  # a lazy iframe starts loading after the page's own load
                if frame := tab.frame(url=url):
                    break
                tab.wait_for_timeout(200)
            assert frame is not None, [f.url for f in tab.frames]
            frame.wait_for_selector(
                "#chart svg .mark-rect path, #chart svg .mark-line path", state="attached", timeout=30000
            )
            frames.append(frame)
        marks = frames[0].locator("#chart svg .mark-rect path").count()
        assert marks > 0
        assert frames[1].locator("#chart svg .mark-line path").count() >= 1
        for frame in frames:
            assert frame.locator("h1").inner_text()
            assert frame.locator(".source a").get_attribute("href").startswith(portal["base"].split(":")[0])
        tab.screenshot(path=str(_shots() / f"embed-{lang}.png"), full_page=True)
        browser.close()


@functools.cache
def _shots():
    from tests.test_browser import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def test_a_pages_embed_code_pasted_into_another_site_draws_the_same_chart(portal):
    """The press's path: the funds page's downloads menu → the <iframe> code → another site."""
    from playwright.sync_api import sync_playwright

    from portal.i18n import t
    from tests.test_browser import _settle, open_downloads
    from tools.screenshots import CHROMIUM_ARGS

    chromium = _require_browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1366, "height": 900})
        tab.goto(f"{portal['base']}/funds_raised?lang=en")
        _settle(tab)
        open_downloads(tab, "en")
        menu = tab.locator('[data-testid="stExpander"]').filter(has_text=t("chart.downloads", "en")).first
        code = menu.locator("code").filter(has_text="<iframe").first.inner_text()
        assert code.startswith("<iframe") and "/embed/funds_raised,funds_disbursed?" in code
        with _other_origin(f"<!doctype html><p>Article</p>{code}") as article:
            tab.goto(article)
            frame = None
            for _ in range(100):
                frame = next((f for f in tab.frames if "/embed/" in f.url), None)
                if frame:
                    break
                tab.wait_for_timeout(200)
            assert frame is not None
            frame.wait_for_selector("#chart svg .mark-rect path", state="attached", timeout=30000)
            assert "chart=grouped" in frame.url  # bars side by side, as on the page
            assert frame.locator(".source").inner_text().startswith(t("export.source_line", "en").split("{")[0])
        browser.close()


def test_the_find_pages_data_package_download_is_the_apis(portal):
    from portal.ui import store

    _, _, body = get(portal, "/api/v1/datapackage.json")
    release = portal["release"].id
    assert store.release_file(portal["url"], release, "datapackage", "en", portal["base"]) == body
