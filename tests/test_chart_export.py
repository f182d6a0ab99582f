"""Chart exports for newsrooms: PNG of exactly the stated pixel size (read from its IHDR
header), SVG with the title, source line, as-of and URL drawn in, in both languages; a missing
CJK font is a clear error, never a PDF or PNG of empty boxes."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

import pytest

from portal import chart_export, charts, fonts, formatting, queries
from portal.i18n import LANGS
from tests.page_fixtures import PROGRAMMES, build


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build(tmp_path_factory.mktemp("export") / "portal.db", seed=23)


@pytest.fixture(scope="module")
def views(store):
    engine = store.engine
    release = queries.current_release(engine=engine)
    cells = queries.cells(engine=engine, release_id=release.id, programme=PROGRAMMES[0])
    year = max(p for p in cells["period"].unique() if len(p) == 4)
    return release, cells, year


def _bar(views, lang):
    release, cells, year = views
    view = charts.select(cells, "funds_disbursed", year, by=("stage",))
    return charts.bar(view, "funds_disbursed", "stage", lang, release.k, title="t")


def _credits(views, lang):
    release, _, year = views
    return chart_export.credits(
        title=f"{formatting.period(year, lang)} <&> title",
        lang=lang,
        release=release,
        url=f"https://example.org/disbursed_by_stage?lang={lang}&period={year}",
        subtitle="subtitle",
    )


@pytest.mark.parametrize(("width", "height", "scale"), [(1200, 675, 1), (800, 600, 2), (1920, 1080, 1), (400, 300, 1)])
def test_png_is_the_stated_size(views, width, height, scale):
    data = chart_export.png(_bar(views, "zh"), _credits(views, "zh"), width=width, height=height, scale=scale)
    assert chart_export.png_size(data) == (width * scale, height * scale)


@pytest.mark.parametrize("lang", LANGS)
def test_svg_carries_title_source_as_of_and_url(views, lang):
    release, _, _ = views
    info = _credits(views, lang)
    svg = chart_export.svg(_bar(views, lang), info, width=1000, height=600)
    assert re.match(r'<svg [^>]*width="1000" height="600"', svg)
    text = "".join(re.findall(r">([^<]*)</text>", svg))
    assert escape(info.title) in text
    assert release.id in text and formatting.date(release.as_of, lang) in text
    assert escape(info.url) in text.replace("\n", "")
    # the chart itself is inside, as vector marks
    assert svg.count("<svg") == 2 and "mark-rect" in svg


def test_a_chart_of_withheld_cells_still_exports(views):
    release, cells, year = views
    view = charts.select(cells, "funds_disbursed", year, by=("stage",)).assign(status="withheld", value=None)
    chart = charts.bar(view, "funds_disbursed", "stage", "en", release.k, title="t")
    data = chart_export.png(chart, _credits(views, "en"), width=640, height=360)
    assert chart_export.png_size(data) == (640, 360)


@pytest.mark.parametrize(("width", "height"), [(10, 600), (1000, 100000), (0, 0)])
def test_sizes_outside_the_range_are_refused(views, width, height):
    with pytest.raises(ValueError):
        chart_export.svg(_bar(views, "en"), _credits(views, "en"), width=width, height=height)


def test_png_size_rejects_what_is_not_a_png():
    with pytest.raises(ValueError):
        chart_export.png_size(b"GIF89a" + b"\0" * 30)


@pytest.mark.parametrize(
    "text",
    [
        "儿童关爱公益数据公开：发放关爱资金（全部项目 · 小学，2023年）551.75万元。数据截至2023年12月31日",
        "Children's care: open figures: Funds disbursed (All programmes · Primary, 2023): ¥5,517,500.",
        "https://example.org/find?lang=en&release=2024-01-15.1&figure=funds_disbursed&programme=all&period=2023",
    ],
)
def test_wrapped_lines_fit_and_keep_every_character(text):
    lines = chart_export.wrap(text, 12, 200)
    assert all(chart_export._text_width(line, 12) <= 200 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_a_missing_cjk_font_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "_fc_match", lambda pattern: None)
    monkeypatch.setattr(fonts, "DEBIAN_DIR", tmp_path)
    fonts.face.cache_clear()
    try:
        with pytest.raises(fonts.FontMissing, match="fonts-noto-cjk"):
            fonts.face()
    finally:
        fonts.face.cache_clear()


def test_the_font_is_the_simplified_chinese_face():
    face = fonts.face()
    assert face.path.exists() and face.path.suffix in (".ttc", ".otf", ".ttf")
    assert fonts.face(bold=True).path.exists()


def test_a_withheld_period_is_a_gap_in_a_trend_not_a_zero():
    """The line breaks at a withheld period (vl-convert draws it as a second path); with
    invalid=None Vega-Lite would draw the withheld value at zero."""
    import pandas as pd
    import vl_convert

    from portal.vocab import DIMENSIONS

    rows = []
    for i, period in enumerate(["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]):
        withheld = i == 1
        row = {"figure": "funds_raised", "programme": "all", "period": period}
        row |= {"reason": "primary" if withheld else None}
        row |= {"value": None if withheld else 1000.0 * (i + 5), "status": "withheld" if withheld else "published"}
        rows.append(row | dict.fromkeys(DIMENSIONS))
    chart = charts.trend(pd.DataFrame(rows), "en", 10, title="t")
    spec = chart.to_dict()
    spec["width"] = 400
    svg = vl_convert.vegalite_to_svg(spec)
    line = re.search(r'mark-line role-mark.*?<path [^>]*\bd="([^"]+)"', svg, re.S)[1]
    assert line.count("M") == 2, line  # two pieces: Q1 alone, then Q3–Q4
