"""Programmes of every shape the real ones have (tests/shapes.py), through the real loaders,
publish and every page, on SQLite and PostgreSQL: publish never fails, every headline cell is
published exactly, and no page claims a zero, a dash or NaN for data a programme does not have.

Expectations come from the raw frames the test made, never from typed numbers."""

from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import periods, publish, queries, red_team
from portal.coverage import families_text
from portal.figures import BY_KEY, FIGURES, has_family
from portal.i18n import t
from portal.settings import get_settings
from portal.vocab import DIMENSIONS
from tests import shapes
from tests.conftest import load_frames, new_deployment
from tests.test_pages import open_page

K = 10
PAGES = ("overview", "funds_raised", "disbursed_by_stage", "children_served", "volunteers", "board")


def _headlines(cells: pd.DataFrame) -> pd.DataFrame:
    return cells[cells[list(DIMENSIONS)].isna().all(axis=1)]


def _publish(deployment, frames, base) -> tuple[pd.DataFrame, publish.PublishResult]:
    load_frames(deployment, frames, base / "raw")
    result = publish.publish(working=deployment.working, published=deployment.published, k=K)
    return queries.cells(engine=deployment.published, release_id=result.release_id), result


def _oracle(frames: dict[str, pd.DataFrame], programme: str) -> dict[str, float]:
    """All-time headline values of a programme, from its raw rows."""
    out = {}
    if "donations" in frames:
        d = frames["donations"][frames["donations"]["programme"] == programme]
        if len(d):
            out["funds_raised"] = round(d["amount"].astype(float).sum(), 2)
            out["donations"] = int((d["kind"] != "退款").sum())
    if "disbursements" in frames:
        d = frames["disbursements"][frames["disbursements"]["programme"] == programme]
        if len(d):
            out["funds_disbursed"] = round(d["amount"].astype(float).sum(), 2)
            out["child_times"] = len(d)
            out["children_served"] = d["id_no"].nunique()
    if "volunteer_hours" in frames:
        d = frames["volunteer_hours"][frames["volunteer_hours"]["programme"] == programme]
        if len(d):
            out["volunteer_hours"] = round(d["hours"].astype(float).sum(), 1)
            out["volunteers_active"] = d["volunteer_id_no"].nunique()
    return out


def _last_day(frames: dict[str, pd.DataFrame], shape: shapes.Shape) -> dt.date:
    days = []
    for kind, column in (("donations", "donated_on"), ("disbursements", "paid_on"), ("volunteer_hours", "served_on")):
        if kind in frames:
            rows = frames[kind][frames[kind]["programme"] == shape.code]
            days += list(rows[column])
    if "children" in frames:
        days += list(frames["children"].loc[frames["children"]["programme"] == shape.code, "enrolled_on"])
    return max(dt.date.fromisoformat(d) for d in days)


@pytest.mark.parametrize("shape", shapes.ALL_SHAPES, ids=lambda s: s.code)
def test_every_shape_publishes_alone(tmp_path, backend, shape):
    """Each shape is the only programme of its deployment (the Changzhou hospital plan alone):
    publish succeeds, every headline is published and equals the raw rows, nothing is NaN, and
    the programme has cells of exactly the families it has data of, up to its own last day."""
    deployment = new_deployment(tmp_path / "data", backend)
    frames = shapes.frames([shape])
    cells, result = _publish(deployment, frames, tmp_path)
    assert result.cells == len(cells) > 0
    published = cells[cells["status"] == "published"]
    assert not published["value"].isna().any(), "a published cell without a value"
    assert (cells.loc[cells["status"] == "withheld", "value"].isna()).all()
    heads = _headlines(cells)
    assert (heads["status"] == "published").all(), heads[heads["status"] != "published"]
    for programme in (shape.code, "all"):
        truth = _oracle(frames, shape.code)
        for figure, expected in truth.items():
            cell = heads[(heads["figure"] == figure) & (heads["programme"] == programme) & (heads["period"] == "all")]
            assert len(cell) == 1 and cell["value"].iloc[0] == pytest.approx(expected), (figure, programme)
    # families: cells of exactly the kinds of data the shape has
    mine = cells[cells["programme"] == shape.code]
    families = {BY_KEY[f].family for f in mine["figure"].unique()} - {"ledger"}
    assert families == set(shape.families)
    ledger = {"balance", "disbursement_rate"} & set(mine["figure"])
    assert bool(ledger) == has_family("balance", shape.families)
    # no cell for a period after the programme's own last day (not yet reported is not zero)
    last = _last_day(frames, shape)
    starts = {p: periods.parse(p).start for p in mine["period"].unique() if p != "all"}
    assert all(start <= last for start in starts.values())


def test_a_programme_under_k_and_a_full_one_together(tmp_path, backend):
    """Fewer than K children beside a large programme: publish succeeds (it used to refuse:
    "withheld cell child_times … can be solved for"), both programmes' headlines are exact."""
    deployment = new_deployment(tmp_path / "data", backend)
    frames = shapes.frames([shapes.FULL, shapes.UNDER_K, shapes.SINGLE_DONOR])
    cells, _ = _publish(deployment, frames, tmp_path)
    heads = _headlines(cells)
    assert (heads["status"] == "published").all()
    for shape in (shapes.UNDER_K, shapes.SINGLE_DONOR):
        for figure, expected in _oracle(frames, shape.code).items():
            cell = heads[(heads["figure"] == figure) & (heads["programme"] == shape.code) & (heads["period"] == "all")]
            assert cell["value"].iloc[0] == pytest.approx(expected), (shape.code, figure)
    small = cells[(cells["programme"] == shapes.UNDER_K.code) & cells["region"].notna()]
    counts = small[small["figure"] == "children_served"]
    assert ((counts["status"] == "withheld") | (counts["value"] == 0) | (counts["value"] >= K)).all()


def test_one_month_reads_the_same_all_time_and_for_its_month(tmp_path):
    """A programme with one month of data: its all-time, year, quarter and month headlines are
    the same published numbers (privacy used to say "5 children" and "fewer than 10")."""
    deployment = new_deployment(tmp_path / "data")
    cells, _ = _publish(deployment, shapes.frames([shapes.ONE_MONTH]), tmp_path)
    heads = _headlines(cells)
    heads = heads[heads["programme"] == shapes.ONE_MONTH.code]
    month = f"{shapes.ONE_MONTH.first:%Y-%m}"
    same = (periods.ALL, month[:4], f"{month[:4]}-Q{(shapes.ONE_MONTH.first.month - 1) // 3 + 1}", month)
    for figure in ("funds_raised", "children_served", "volunteers_active", "volunteer_hours"):
        values = heads[(heads["figure"] == figure) & heads["period"].isin(same)]["value"]
        assert len(values) == len(same) and values.nunique() == 1 and values.iloc[0] > 0, figure


def test_zero_denominators_have_no_cell(tmp_path):
    """Average per child where no child was paid, and the rate where nothing was raised yet:
    no cell (was a published NaN), so pages say it in words."""
    deployment = new_deployment(tmp_path / "data")
    # a few payments over two years of donations: most months pay nobody
    gaps = shapes.Shape("SH-GAPS", children=20, disbursements=15, donations=100, donors=20)
    cells, _ = _publish(deployment, shapes.frames([gaps]), tmp_path)
    heads = _headlines(cells)
    served = heads[heads["figure"] == "children_served"].set_index(["programme", "period"])["value"]
    average = heads[heads["figure"] == "average_per_child"].set_index(["programme", "period"])["value"]
    assert (served == 0).any(), "the shape must have a period without payments"
    assert set(average.index) == set(served[served > 0].index)
    assert not cells["value"].map(lambda v: isinstance(v, float) and math.isinf(v)).any()


def test_newer_data_of_one_programme_does_not_rewrite_the_others(tmp_path):
    """A programme whose data starts after the others' last day: the all-programmes view opens
    on the last period every programme has reported for, says who has not reported for the
    newer one, and compares nothing across it."""
    deployment = new_deployment(tmp_path / "data")
    frames = shapes.frames([shapes.FULL, shapes.NEWCOMER])
    cells, result = _publish(deployment, frames, tmp_path)
    engine = deployment.published
    coverage = queries.programme_coverage(engine=engine, release_id=result.release_id, as_of=result.as_of)
    keys = queries.periods(engine=engine, release_id=result.release_id)
    full_last = coverage.last_day(shapes.FULL.code)
    assert full_last == _last_day(frames, shapes.FULL)
    new_year = str(shapes.NEWCOMER.first.year)
    assert coverage.pending(new_year) == [shapes.FULL.code]
    assert coverage.default_period("all", "year", keys) == str(full_last.year)
    assert coverage.default_period(shapes.NEWCOMER.code, "year", keys) == new_year
    assert not coverage.comparable("all", new_year, str(full_last.year))
    assert coverage.trend("all", [k for k in keys if periods.period_type(k) == "year"])[-1] == str(full_last.year)
    # the FULL programme has no cell in the newcomer's year: not reported is not zero
    assert cells[(cells["programme"] == shapes.FULL.code) & (cells["period"] == new_year)].empty


# ------------------------------------------------------------------------------------- pages


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def every_shape(request, tmp_path_factory):
    """One deployment holding a programme of every shape, and one newer programme."""
    from tests.conftest import require_postgres

    if request.param == "postgresql":
        require_postgres()
    base = tmp_path_factory.mktemp("shapes")
    deployment = new_deployment(base / "data", request.param)
    frames = shapes.frames([*shapes.ALL_SHAPES, shapes.NEWCOMER])
    _publish(deployment, frames, base)
    return deployment


@pytest.fixture
def use_shapes(every_shape, monkeypatch):
    monkeypatch.setenv("PORTAL_PUBLISHED_URL", every_shape.settings.published_store_url)
    monkeypatch.setenv("PORTAL_PSEUDONYM_KEY", every_shape.key.decode())
    get_settings.cache_clear()
    yield every_shape
    get_settings.cache_clear()


_NUMBER = re.compile(r"[0-9]")


def _page_text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("programme", ["all", *(s.code for s in (*shapes.ALL_SHAPES, shapes.NEWCOMER))])
def test_every_page_of_every_shape(use_shapes, programme, lang):
    """Every page of every programme: no exception or error, no NaN, no dash or withheld
    headline, no metric of a figure the programme does not have, and a one-line note saying
    what it does not do wherever a page's figures are not all its."""
    engine = use_shapes.published
    release = queries.current_release(engine=engine)
    coverage = queries.programme_coverage(engine=engine, release_id=release.id, as_of=release.as_of)
    names = {f.name(lang): f.key for f in FIGURES}
    withheld = {t("cell.status_withheld", lang), t("cell.withheld", lang, k=release.k)}
    for page in PAGES:
        at = open_page(page, lang=lang, programme=programme)
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        text = _page_text(at)
        assert "NaN" not in text and "nan%" not in text.lower(), (page, text)
        for metric in at.metric:
            figure = names[metric.label]
            assert coverage.has(programme, figure), (page, figure, "shown for a programme without it")
            assert metric.value not in withheld and metric.value != "—", (page, metric.label, metric.value)
            assert _NUMBER.search(metric.value) or metric.value in _words(lang), (page, metric.label, metric.value)
        # the overview says in one line what the programme does not do (none for all kinds)
        line = families_text(coverage.families(programme), lang, programme=programme)
        if page == "overview":
            assert (line in [i.value for i in at.info]) == (line is not None), (programme, line)


def _words(lang: str) -> set[str]:
    return {t("cell.not_reported", lang), *(t(f"cell.no_denominator.{f.key}", lang) for f in FIGURES if f.ratio)}


# ---------------------------------------------------------------------------- property test


@st.composite
def small_programmes(draw):
    """One to three small programmes of random shape, dates and sizes (often under K)."""
    out = []
    for i in range(draw(st.integers(1, 3))):
        first = dt.date(2022, 1, 1) + dt.timedelta(days=draw(st.integers(0, 600)))
        last = first + dt.timedelta(days=draw(st.sampled_from([0, 20, 80, 300, 700])))
        children = draw(st.integers(0, 30))
        shape = shapes.Shape(
            f"P{i}",
            first=first,
            last=last,
            children=children,
            disbursements=draw(st.integers(1, 60)) if children and draw(st.booleans()) else 0,
            donations=draw(st.integers(0, 40)),
            donors=draw(st.integers(0, 8)),
            records=draw(st.integers(0, 60)),
            volunteers=draw(st.integers(1, 12)),
            counties=draw(st.integers(1, 3)),
        )
        if not shape.families:
            shape = shapes.Shape(f"P{i}", first=first, last=last, records=5, volunteers=2)
        out.append(shape)
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programmes=small_programmes(), seed=st.integers(0, 10_000))
def test_random_small_programmes_publish_with_every_headline(tmp_path_factory, programmes, seed):
    """Random small programmes: publish never fails, every headline is published, and the red
    team, taking the headlines as known, recovers no cell withheld for its own sake."""
    base = tmp_path_factory.mktemp("prop")
    deployment = new_deployment(base / "data")
    cells, result = _publish(deployment, shapes.frames(programmes, seed), base)
    assert (_headlines(cells)["status"] == "published").all()
    report = red_team.attack({result.release_id: cells}, {result.release_id: K})
    assert not report.sensitive(), report.sensitive()[:3]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_refused_publish_says_what_to_do_in_the_users_language(tmp_path, monkeypatch, capsys, lang):
    """Should the audit ever refuse, the operator reads why and what to do in their language,
    with the figure's name (not its code) and no English inside a Chinese message."""
    from portal import cli, suppress

    deployment = new_deployment(tmp_path / "data")
    load_frames(deployment, shapes.frames([shapes.UNDER_K]), tmp_path / "raw")
    for name, value in deployment.env().items():
        if name.startswith("PORTAL_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    cell = {"figure": "child_times", "programme": shapes.UNDER_K.code, "period": "2023"}

    def refuse(**_):
        raise suppress.AuditFailure("withheld cell child_times / x / 2023 can be solved for", cell)

    monkeypatch.setattr(publish, "publish", refuse)
    assert cli.main(["--lang", lang, "publish"]) == 1
    err = capsys.readouterr().err
    get_settings.cache_clear()
    assert BY_KEY["child_times"].name(lang) in err and shapes.UNDER_K.code in err
    assert "child_times" not in err and "solved for" not in err and "Traceback" not in err
    if lang == "zh":
        assert not re.search(r"[A-Za-z]{3,}", err.replace(shapes.UNDER_K.code, "")), err
    assert queries.current_release(engine=deployment.published) is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_board_pack_of_a_volunteer_only_programme(every_shape, tmp_path, lang):
    """The Changzhou hospital's shape on paper: the cover says in one line what it does not do,
    the headline rows and definitions are its own figures only, and every row is a number."""
    import subprocess

    from portal import board, board_pack
    from tests.test_board_pack import _poppler

    _poppler()
    engine = every_shape.published
    release = queries.current_release(engine=engine)
    code = shapes.VOLUNTEERS_ONLY.code
    keys = queries.periods(engine=engine, release_id=release.id)
    coverage = queries.programme_coverage(engine=engine, release_id=release.id, as_of=release.as_of)
    newest = [p for p in keys if periods.period_type(p) == "quarter"][-1]
    assert not coverage.in_range(code, newest), "the newcomer's quarter: this programme has not reported it"
    with pytest.raises(board.BoardError) as refused:
        board.build(engine, period=newest, programme=code)
    assert refused.value.code == "outside_programme"
    view = board.build(engine, period=coverage.default_period(code, "quarter", keys), programme=code)
    path = tmp_path / "pack.pdf"
    path.write_bytes(board_pack.build(view, lang, base_url="https://figures.example.org").pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    line = families_text(view.coverage.families(code), lang, programme=code)
    assert line and "".join(line.split()) in flat
    for figure in FIGURES:
        if figure.family in ("donations", "disbursements", "register", "ledger"):
            assert "".join(figure.definition(lang).split()) not in flat, figure.key
    rows = [row for row in board.headline_rows(view, lang)]
    assert {row["figure"] for row in rows} <= {"volunteers_active", "volunteer_hours", "home_visits"} and rows
    for row in rows:
        assert re.search(r"[0-9]", row["now"]) and "".join(row["now"].split()) in flat, row
