"""Charts without Streamlit: each returns an Altair chart whose data is exactly the published
cells of its view; withheld cells are never charted as 0; colours are stable across pages."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from portal import charts, formatting, periods, queries
from portal.figures import BY_KEY
from portal.vocab import DIMENSIONS, vocabulary
from tests.page_fixtures import PROGRAMMES, build


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build(tmp_path_factory.mktemp("charts") / "portal.db", seed=23)


@pytest.fixture(scope="module")
def cells(store):
    return queries.cells(engine=store.engine, release_id=store.release_id, programme=PROGRAMMES[0])


def names(store):
    frame = queries.labels(engine=store.engine, release_id=store.release_id)
    return {(r.dimension, r.code): (r.name_zh, r.name_en) for r in frame.itertuples()}


def expected_view(cells, figure, period, by):
    """The view computed here independently of charts.select."""
    mask = (cells.figure == figure) & (cells.period == period)
    for dim in DIMENSIONS:
        mask &= cells[dim].notna() if dim in by else cells[dim].isna()
    return cells[mask]


def same_cells(data: pd.DataFrame, view: pd.DataFrame):
    key = ["figure", "programme", "period", *DIMENSIONS]
    left = data[[*key, "value", "status"]].sort_values(key).reset_index(drop=True)
    right = view[[*key, "value", "status"]].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        left.astype(object).where(left.notna(), None),
        right.astype(object).where(right.notna(), None),
        check_dtype=False,
    )


BARS = [(f.key, dim) for f in BY_KEY.values() for b in f.breakdowns if len(b) == 1 for dim in b]


@pytest.mark.parametrize(("figure", "dim"), BARS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bar_data_is_the_view(store, cells, figure, dim, lang):
    view = expected_view(cells, figure, "2023", (dim,))
    assert len(view)
    chart = charts.bar(
        charts.select(cells, figure, "2023", by=(dim,)), figure, dim, lang, store.k, title="t", names=names(store)
    )
    assert isinstance(chart, alt.TopLevelMixin)
    data = chart.data
    same_cells(data, view)
    withheld = data[data.status != "published"]
    assert withheld["value"].isna().all(), "withheld cell charted as a number"
    # a small count of people reads "fewer than K"; money, hours, visits and a cell withheld
    # for another reason read "withheld"
    for text, reason in zip(withheld["text"], withheld["reason"], strict=True):
        assert text == formatting.withheld(store.k, lang, reason, figure) and (str(store.k) in text) == (
            reason in formatting.SMALL_CELL_REASONS and formatting.counts_people(figure)
        )
    assert all(text for text in withheld["note"]), "a withheld cell needs a reason in its tooltip"
    spec = chart.to_dict()
    assert spec["title"] == "t"
    # the bar layer draws published cells only; withheld ones are a text marker at zero
    assert any("datum.status === 'published'" in str(layer.get("transform")) for layer in spec["layer"])
    assert any("datum.status !== 'published'" in str(layer.get("transform")) for layer in spec["layer"])
    assert all("tooltip" in layer["encoding"] for layer in spec["layer"])


def test_trend_over_periods(store, cells):
    keys = [p for p in sorted(cells.period.unique()) if len(p) == 7 and "Q" not in p]
    view = charts.over_time(cells, "volunteer_hours", keys)
    chart = charts.trend(view, "en", store.k, title="trend")
    expected = pd.concat([expected_view(cells, "volunteer_hours", p, ()) for p in keys])
    same_cells(chart.data, expected)
    assert list(chart.data.period) == keys
    assert chart.data.loc[chart.data.status != "published", "value"].isna().all()


def test_stage_average_beside_standard(store, cells):
    view = expected_view(cells, "average_per_child", "2023", ("stage",))
    standards = queries.standards(engine=store.engine, release_id=store.release_id)
    standards = standards[standards.programme == PROGRAMMES[0]]
    chart = charts.stage_average(view, standards, "zh", store.k, title="avg")
    same_cells(chart.data, view)
    for row in chart.data.itertuples():
        assert row.standard == standards.set_index("stage").yearly_yuan[row.stage]


@pytest.mark.parametrize("period", ["2023", "2023-Q4", "2023-12", "all"])
def test_stage_standard_ticks_are_like_with_like(store, cells, period):
    """All programmes together: one tick per programme's distinct standard of each stage, at
    the period's share of the yearly amount (a quarter a quarter of it); none for all time;
    the x scale reaches past the highest tick, so none is cut at the edge."""
    view = expected_view(cells, "average_per_child", period, ("stage",))
    standards = queries.standards(engine=store.engine, release_id=store.release_id)
    per_year = {"2023": 1, "2023-Q4": 4, "2023-12": 12, "all": None}[period]
    chart = charts.stage_average(view, standards, "en", store.k, title="avg", per_year=periods.per_year(period))
    ticks = chart.layer[1].data
    expected = (
        sorted(
            (vocabulary("stage").label(stage, "en"), yearly / per_year)
            for stage in set(view["stage"])
            for yearly in {float(v) for v in standards.loc[standards.stage == stage, "yearly_yuan"]}
        )
        if per_year
        else []
    )
    assert sorted(zip(ticks["label"], ticks["standard"], strict=True)) == expected
    if expected:
        top = chart.to_dict()["layer"][0]["encoding"]["x"]["scale"]["domain"][1]
        assert top > max(v for _, v in expected)
        assert top >= (view.loc[view.status == "published", "value"].max() if (view.status == "published").any() else 0)


def test_grouped_raised_and_disbursed(store, cells):
    keys = ["2022", "2023"]
    view = pd.concat([charts.over_time(cells, f, keys) for f in ("funds_raised", "funds_disbursed")])
    chart = charts.grouped(view, "zh", store.k, title="g")
    expected = pd.concat([expected_view(cells, f, p, ()) for f in ("funds_raised", "funds_disbursed") for p in keys])
    same_cells(chart.data, expected)


def test_colours_are_one_map_per_dimension():
    for dim in ("stage", "category", "channel", "donor_type", "volunteer_type", "activity"):
        colours = charts.color_map(dim)
        assert list(colours) == list(vocabulary(dim).codes)
        assert len(set(colours.values())) == len(colours)
        assert charts.color_map(dim) == colours
    regions = ["990103", "990101", "990102"]
    assert charts.color_map("region", regions) == charts.color_map("region", sorted(regions))


def test_withheld_region_bar_keeps_its_colour(store, cells):
    view = expected_view(cells, "children_served", "2023", ("region",))
    all_regions = [c for (d, c) in names(store) if d == "region"]
    colours = charts.color_map("region", all_regions)
    spec = charts.bar(
        view, "children_served", "region", "zh", store.k, title="r", names=names(store), colors=colours, rank=True
    ).to_dict()
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    assert scale["range"] == [colours[c] for c in colours if c in set(view.region)]


def test_table_twin_matches_chart(store, cells):
    view = expected_view(cells, "funds_disbursed", "2023", ("stage",))
    annotated = charts.annotate(view, "stage", "en", store.k)
    table = charts.table(annotated, "stage", "en")
    assert len(table) == len(view)
    for text, status, reason in zip(table.iloc[:, 2], view.status, view.reason, strict=True):
        if status != "published":
            assert text == formatting.withheld(store.k, "en", reason, "funds_disbursed")
            assert str(store.k) not in text  # money is never "fewer than K"
        else:
            assert text == formatting.money(float(text.removeprefix("CNY\u00a0").replace(",", "")), "en")


def _line_heights(chart) -> set[float]:
    """The y coordinates of the drawn line's points, read from the chart rendered as SVG."""
    import re

    import vl_convert

    spec = chart.to_dict()
    spec["width"] = 300
    svg = vl_convert.vegalite_to_svg(spec)
    path = re.search(r'aria-roledescription="line mark" d="([^"]+)"', svg)
    assert path, "no line drawn"
    return {round(float(y), 1) for y in re.findall(r"[ML][\d.]+,([\d.]+)", path[1])}


@pytest.mark.parametrize("figure", ["children_served", "funds_raised", "volunteer_hours"])
def test_sparkline_shows_change(store, figure):
    """A card's small trend is drawn over its own range, with room to draw: published values
    that differ sit at different heights (it was a flat line, its plot 0 px tall)."""
    every = queries.cells(engine=store.engine, release_id=store.release_id, programme=PROGRAMMES[0])
    years = sorted(p for p in every["period"].unique() if periods.period_type(p) == "year")
    view = charts.over_time(every, figure, years)
    published = view[view["status"] == "published"]
    assert published["value"].nunique() > 1
    small = charts.trend(view, "zh", store.k, title="t", small=True)
    assert "title" not in small.to_dict()
    assert len(_line_heights(small)) == published["value"].nunique()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_money_axis_reads_in_the_unit_of_its_labels(store, cells, lang):
    """Bars of 万元 labels have a 万元 axis (values ÷ 10,000) in Chinese; CNY in English."""
    view = expected_view(cells, "funds_raised", "2023", ("channel",))
    spec = charts.bar(view, "funds_raised", "channel", lang, store.k, title="t").to_dict()
    axis = spec["layer"][0]["encoding"]["x"]["axis"]
    divisor, unit = formatting.money_scale(view["value"].max(), lang)
    assert axis["title"].endswith(f"（{unit}）" if lang == "zh" else f"({unit})")
    assert (f"/ {int(divisor)}" in axis.get("labelExpr", "")) == (divisor != 1)
    # the bars' own labels are in the same unit as the axis
    published = view[view["status"] == "published"]
    assert all(unit in formatting.money(v, lang) for v in published["value"] if abs(v) >= divisor)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_period_axis_labels_are_words_of_the_page(store, lang):
    """The trend's period axis maps each key to its words (2023年4季度 / Q4 2023), rendered."""
    import re

    import vl_convert

    every = queries.cells(engine=store.engine, release_id=store.release_id, programme=PROGRAMMES[0])
    quarters = sorted(p for p in every["period"].unique() if periods.period_type(p) == "quarter")
    chart = charts.trend(charts.over_time(every, "funds_raised", quarters), lang, store.k, title="t")
    spec = chart.to_dict()
    spec["width"] = 600
    svg = vl_convert.vegalite_to_svg(spec)
    for key in quarters:
        assert formatting.short_period(key, lang) in svg
        assert not re.search(rf">{key}<", svg)  # the raw key is not a label


def test_a_figure_keeps_its_colour_in_every_trend(store, cells):
    """Colours follow the figure, not its place in a chart: children served is one colour
    beside child-times and beside children in care; figures drawn together differ."""
    every = queries.cells(engine=store.engine, release_id=store.release_id, programme=PROGRAMMES[0])
    years = sorted(p for p in every["period"].unique() if periods.period_type(p) == "year")
    assert set(charts.FIGURE_COLOURS) == set(BY_KEY)
    seen: dict[str, set[str]] = {}
    for group in (["children_served", "child_times"], ["children_in_care", "children_served"],
                  ["funds_raised", "funds_disbursed"]):  # fmt: skip
        view = pd.concat([charts.over_time(every, f, years) for f in group], ignore_index=True)
        scale = charts.trend(view, "en", store.k, title="t").to_dict()["layer"][0]["encoding"]["color"]["scale"]
        colours = dict(zip(scale["domain"], scale["range"], strict=True))
        assert len(set(colours.values())) == len(colours)
        for figure in group:
            seen.setdefault(figure, set()).add(colours[BY_KEY[figure].name("en")])
    assert all(len(c) == 1 for c in seen.values()), seen
