"""Publish checked against an independent oracle: pandas over the raw rows the test made."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portal import periods, publish, queries
from portal.figures import BY_KEY
from portal.vocab import DIMENSIONS, vocabulary
from tests.conftest import BACKENDS, load_frames, new_deployment, require_postgres
from tests.factories import COUNTIES, random_raw

K = 5


def _period_keys(dates: pd.Series) -> pd.DataFrame:
    d = pd.to_datetime(dates)
    return pd.DataFrame(
        {
            "all": "all",
            "year": d.dt.year.astype(str),
            "quarter": d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str),
            "month": d.dt.strftime("%Y-%m"),
        }
    )


def _explode_periods(frame: pd.DataFrame, date_column: str) -> pd.DataFrame:
    keys = _period_keys(frame[date_column])
    parts = [frame.assign(period=keys[c].to_numpy()) for c in keys]
    return pd.concat(parts, ignore_index=True)


def _totals(cells: pd.DataFrame, figure: str) -> pd.DataFrame:
    """Cells of a figure with no breakdown, per programme (not 'all') and period."""
    mask = (cells["figure"] == figure) & cells[list(DIMENSIONS)].isna().all(axis=1) & (cells["programme"] != "all")
    return cells[mask].set_index(["programme", "period"])


@pytest.fixture(scope="module", params=BACKENDS)
def published_random(request, tmp_path_factory):
    if request.param == "postgresql":
        require_postgres()
    base = tmp_path_factory.mktemp("oracle")
    deployment = new_deployment(base / "data", request.param)
    frames = random_raw(7)
    load_frames(deployment, frames, base / "raw")
    result = publish.publish(working=deployment.working, published=deployment.published, k=K)
    cells = queries.cells(engine=deployment.published, release_id=result.release_id)
    return frames, cells, result


def test_flows_match_pandas_oracle(published_random):
    frames, cells, _ = published_random
    d = frames["disbursements"].copy()
    d["fen"] = (d["amount"].astype(float) * 100).round().astype(int)
    d = _explode_periods(d, "paid_on")
    expected = d.groupby(["programme", "period"]).agg(
        fen=("fen", "sum"), times=("fen", "size"), children=("id_no", "nunique")
    )
    for figure, column, scale in (
        ("funds_disbursed", "fen", 100),
        ("child_times", "times", 1),
        ("children_served", "children", 1),
    ):
        got = _totals(cells, figure)
        checked = 0
        for key, row in expected.iterrows():
            cell = got.loc[key]
            if cell["status"] == "published":
                assert cell["value"] == pytest.approx(row[column] / scale), (figure, key)
                checked += 1
            else:
                assert pd.isna(cell["value"])
        assert checked > 0, figure


def test_distinct_counts_are_distinct_across_periods(published_random):
    """A child paid twice in a quarter is one child served and two child-times; the year's
    distinct count is not the sum of its quarters'."""
    frames, cells, _ = published_random
    d = _explode_periods(frames["disbursements"], "paid_on")
    per = d.groupby(["programme", "period"])["id_no"].nunique()
    got = _totals(cells, "children_served")
    published = got[got["status"] == "published"]["value"]
    assert (published.reindex(per.index).dropna() == per.reindex(published.index).dropna()).all()
    times = _totals(cells, "child_times")["value"].dropna()
    served = published.reindex(times.index).dropna()
    assert (times.reindex(served.index) >= served).all()
    assert (times.reindex(served.index) > served).any(), "the data has children paid more than once"


def test_donations_and_refund_free_counts(published_random):
    frames, cells, _ = published_random
    dn = frames["donations"].copy()
    dn["fen"] = (dn["amount"].astype(float) * 100).round().astype(int)
    all_time = dn.groupby("programme")["fen"].sum()
    got = _totals(cells, "funds_raised")
    for programme, fen in all_time.items():
        assert got.loc[(programme, "all"), "value"] == pytest.approx(fen / 100)
    identified = (
        dn[dn["donor_phone"] != ""]
        .groupby("programme")
        .apply(lambda g: len(set(zip(g["donor_name"], g["donor_phone"], strict=True))))
    )
    donors = _totals(cells, "donors")
    for programme, count in identified.items():
        assert donors.loc[(programme, "all"), "value"] == count


def test_volunteer_hours_by_region_match_oracle(published_random):
    frames, cells, _ = published_random
    v = frames["volunteer_hours"].copy()
    names = {zh: code for code, (zh, _) in COUNTIES.items()}
    v["region"] = v["county"].map(names)
    expected = (
        v.assign(h=v["hours"].astype(float))
        .groupby(["programme", "region"])
        .agg(hours=("h", "sum"), volunteers=("volunteer_id_no", "nunique"))
    )
    got = cells[
        (cells["figure"] == "volunteer_hours")
        & (cells["period"] == "all")
        & cells["region"].notna()
        & cells[[d for d in DIMENSIONS if d != "region"]].isna().all(axis=1)
    ]
    got = got.set_index(["programme", "region"])
    for key, row in expected.iterrows():
        cell = got.loc[key]
        if row["volunteers"] < K:
            assert cell["status"] == "withheld"
        if cell["status"] == "published":
            assert cell["value"] == pytest.approx(row["hours"])


def test_children_in_care_at_period_end(published_random):
    frames, cells, result = published_random
    c = frames["children"]
    got = _totals(cells, "children_in_care")
    for key in ("all", "2022", "2023-Q2", "2022-07"):
        end = result.as_of if key == "all" else min(periods.parse(key).end, result.as_of)
        enrolled = pd.to_datetime(c["enrolled_on"]).dt.date <= end
        exited = pd.to_datetime(c["exited_on"].replace("", None)).dt.date
        still = exited.isna() | (exited > end)
        expected = c[enrolled & still].groupby("programme").size()
        for programme, count in expected.items():
            cell = got.loc[(programme, key)]
            if cell["status"] == "published":
                assert cell["value"] == count


def test_no_published_people_count_below_k(published_random):
    """Inside breakdowns; headlines (no breakdown, any period) are always published."""
    _, cells, _ = published_random
    counts = cells[cells["figure"].map(lambda f: BY_KEY[f].guarded_by == f)]
    published = counts[(counts["status"] == "published") & counts[list(DIMENSIONS)].notna().any(axis=1)]
    assert not ((published["value"] > 0) & (published["value"] < K)).any()
    assert (counts["status"] == "withheld").any(), "the random data must exercise suppression"


def test_withheld_never_a_number(published_random):
    _, cells, _ = published_random
    withheld = cells[cells["status"] == "withheld"]
    assert len(withheld) > 0
    assert withheld["value"].isna().all()
    assert withheld["reason"].notna().all()


def test_parts_add_up_to_total_where_all_published(published_random):
    _, cells, _ = published_random
    for figure in ("funds_disbursed", "child_times", "volunteer_hours"):
        f = cells[cells["figure"] == figure]
        for dim in ("region", "stage"):
            if (dim,) not in BY_KEY[figure].breakdowns:
                continue
            others = [d for d in DIMENSIONS if d != dim]
            parts = f[f[dim].notna() & f[others].isna().all(axis=1)]
            totals = f[f[list(DIMENSIONS)].isna().all(axis=1)].set_index(["programme", "period"])["value"]
            for key, group in parts.groupby(["programme", "period"]):
                if (group["status"] == "published").all() and not np.isnan(totals.loc[key]):
                    assert group["value"].sum() == pytest.approx(totals.loc[key]), (figure, dim, key)


def test_average_per_child_is_funds_over_children(published_random):
    _, cells, _ = published_random
    idx = ["programme", "period", *DIMENSIONS]
    wide = (
        cells[cells["figure"].isin(["funds_disbursed", "children_served", "average_per_child"])]
        .pivot_table(index=idx, columns="figure", values="value", dropna=False)
        .dropna()
    )
    wide = wide[wide["children_served"] > 0]
    assert len(wide) > 0
    assert np.allclose(wide["average_per_child"], wide["funds_disbursed"] / wide["children_served"])


def test_zero_cells_are_shown_as_zero(published_random):
    _, cells, _ = published_random
    zeros = cells[(cells["status"] == "published") & (cells["value"] == 0)]
    assert len(zeros) > 0, "months without payments are a true zero"


def test_vocabulary_codes_only(published_random):
    _, cells, _ = published_random
    for dim in ("stage", "category", "channel", "donor_type", "volunteer_type", "activity", "purpose"):
        used = set(cells[dim].dropna())
        assert used <= set(vocabulary(dim).codes), dim


def test_sqlite_and_postgresql_give_identical_cells(tmp_path):
    """The same rows give the same release on either store (Arrow in, DuckDB computes)."""
    require_postgres()
    frames = random_raw(23, children=60, disbursements=150, donations=100, records=150)
    results = []
    for backend in BACKENDS:
        deployment = new_deployment(tmp_path / backend, backend)
        load_frames(deployment, frames, tmp_path / f"raw-{backend}")
        release = publish.publish(working=deployment.working, published=deployment.published, k=K)
        cells = queries.cells(engine=deployment.published, release_id=release.release_id)
        results.append(cells.sort_values(["figure", "programme", "period", *DIMENSIONS]).reset_index(drop=True))
    pd.testing.assert_frame_equal(results[0], results[1])


def test_publish_reads_one_state_of_the_working_store(deployment, tmp_path, monkeypatch):
    """A load that commits while publish reads (here: between its readers) does not reach the
    receipts of a release whose figures leave it out: publish notices the working store moved
    and reads it again, so every checkable gift is counted in the release's figures."""
    from sqlalchemy import text

    from portal import publish as publishing
    from portal import queries
    from tests.conftest import load_frames
    from tests.factories import random_raw

    load_frames(deployment, random_raw(2, children=20, disbursements=40, donations=30, records=40), tmp_path / "raw")
    reads = []
    real = publishing.read_tables

    def read_then_load(engine, queries_):
        tables = real(engine, queries_)
        if not reads:  # a load commits just after the first read: one more gift and its batch
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO batch (kind, file_name, sha256, rows, loaded, rejected, loaded_at) "
                        "VALUES ('donations', 'late.csv', :sha, 1, 1, 0, CURRENT_TIMESTAMP)"
                    ),
                    {"sha": "f" * 64},
                )
                connection.execute(
                    text(
                        "INSERT INTO donation (receipt_no, programme, donated_on, amount_fen, is_refund, channel,"
                        " platform, donor_type, donor_id, batch_id) SELECT 'LATE-0001', programme, donated_on,"
                        " amount_fen, is_refund, channel, platform, donor_type, donor_id,"
                        " (SELECT max(id) FROM batch) FROM donation WHERE NOT is_refund"
                        " ORDER BY donated_on LIMIT 1"
                    )
                )
        reads.append(sorted(queries_))
        return tables

    monkeypatch.setattr(publishing, "read_tables", read_then_load)
    result = publishing.publish(working=deployment.working, published=deployment.published, k=5, receipt_key=b"r" * 32)
    with deployment.working.connect() as connection:
        gifts = connection.execute(text("SELECT count(*) FROM donation WHERE NOT is_refund")).scalar_one()
    cells = queries.cells(engine=deployment.published, release_id=result.release_id, programme="all", periods=["all"])
    counted = cells[(cells.figure == "donations") & cells[list(queries.DIMENSIONS)].isna().all(axis=1)]
    assert counted.value.iloc[0] == gifts == result.receipts
    assert len(reads) >= 2, "publish did not read again after the load"


def test_person_level_scratch_stays_private_and_is_cleared(deployment, tmp_path, monkeypatch):
    """The Arrow files publish reads the working store into, and DuckDB's spill, live in the
    data directory's private area (0700), not the system's temporary directory; they are gone
    when publish returns, and a killed publish's leftovers are removed by the next one."""
    import os
    import stat
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from portal import publish as publishing
    from portal import scratch, working_rows
    from portal.settings import get_settings
    from tests.conftest import load_frames
    from tests.factories import random_raw

    monkeypatch.setenv("PORTAL_DATA_DIR", str(deployment.settings.data_dir))
    get_settings.cache_clear()
    load_frames(deployment, random_raw(2, children=20, disbursements=40, donations=30, records=40), tmp_path / "raw")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = scratch.root() / f"rows-{int(dead.stdout)}-killed"
    leftover.mkdir()
    (leftover / "donations.arrow").write_bytes(b"rows of a publish killed mid-read")
    system_before = set(Path(tempfile.gettempdir()).glob("portal-rows-*"))
    used = []
    real = working_rows._read_sqlite_into

    def spy(database, queries, out_dir):
        tables = real(database, queries, out_dir)
        used.append(Path(out_dir))
        return tables

    monkeypatch.setattr(working_rows, "_read_sqlite_into", spy)
    publishing.publish(working=deployment.working, published=deployment.published, k=5)
    private = deployment.settings.data_dir / "private"
    assert not leftover.exists(), "a killed publish's scratch was not cleared"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(scratch.root()).st_mode) == 0o700
    if deployment.settings.working_store_url.startswith("sqlite"):
        assert used and all(private in folder.parents for folder in used)
    assert not any(folder.exists() for folder in used)
    left = [p for p in scratch.root().iterdir() if p != scratch.spill_folder()]
    assert not left, left
    assert set(Path(tempfile.gettempdir()).glob("portal-rows-*")) == system_before
    get_settings.cache_clear()


def test_staff_file_names_are_not_published(deployment, tmp_path):
    """A staff file's own name can name a person ("张三捐赠.csv"): the published store records a
    load by its kind, checksum, counts and date, and a release written before that rule loses
    its file names at the next publish."""
    from sqlalchemy import text

    from portal import publish as publishing
    from tests.conftest import load_frames
    from tests.factories import random_raw

    load_frames(deployment, random_raw(2, children=20, disbursements=40, donations=30, records=40), tmp_path / "raw")
    with deployment.working.begin() as connection:
        connection.execute(text("UPDATE batch SET file_name = '张三捐赠.csv' WHERE kind = 'donations'"))
    first = publishing.publish(working=deployment.working, published=deployment.published, k=5)
    with deployment.published.begin() as connection:  # as a release of the old code wrote it
        connection.execute(
            text("UPDATE release_batch SET file_name = '王五的名册.xlsx' WHERE release_id = :r AND kind = 'children'"),
            {"r": first.release_id},
        )
    publishing.publish(working=deployment.working, published=deployment.published, k=5)
    with deployment.published.connect() as connection:
        names = [row[0] for row in connection.execute(text("SELECT file_name FROM release_batch"))]
        kinds = [row[0] for row in connection.execute(text("SELECT kind FROM release_batch"))]
    assert names and names == kinds
    assert not any("张三" in n or "王五" in n for n in names)


@pytest.mark.parametrize("limit", ["1GB", "750MB"])
def test_publish_memory_bounds_duckdb(monkeypatch, tmp_path, limit):
    """PORTAL_PUBLISH_MEMORY is the memory DuckDB may hold in publish (past it, it spills to
    the private scratch area, not to /tmp)."""
    from portal import compute, scratch
    from portal.settings import get_settings

    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PORTAL_PUBLISH_MEMORY", limit)
    get_settings.cache_clear()
    try:
        con = compute._duckdb()
        bytes_ = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        spill = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
        con.close()
    finally:
        get_settings.cache_clear()
    number, unit = float(limit[:-2]), limit[-2:]
    expected = number * {"GB": 1000**3, "MB": 1000**2}[unit]
    shown = float(bytes_.split()[0]) * {"GiB": 1024**3, "MiB": 1024**2, "GB": 1000**3, "MB": 1000**2}[bytes_.split()[1]]
    assert abs(shown - expected) / expected < 0.05
    assert Path(spill) == scratch.spill_folder()  # the private scratch area (portal.scratch)
