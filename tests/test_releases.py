"""Releases: versioned, switched atomically, history kept, corrections recorded."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from portal import periods, publish, queries
from portal.models.published import Cell
from tests.conftest import load_frames
from tests.factories import random_raw


@pytest.fixture
def loaded(deployment, tmp_path):
    frames = random_raw(11)
    load_frames(deployment, frames, tmp_path / "raw")
    return deployment, frames, tmp_path


def test_second_release_keeps_history_and_records_corrections(loaded):
    deployment, frames, tmp_path = loaded
    first = publish.publish(working=deployment.working, published=deployment.published, k=5)
    # a corrected file: one payment in a past, complete month was keyed wrong
    fixed = frames["disbursements"].copy()
    row = fixed["paid_on"].idxmin()
    old_amount = float(fixed.loc[row, "amount"])
    fixed.loc[row, "amount"] = f"{old_amount + 100:.2f}"
    load_frames(deployment, {"disbursements": fixed}, tmp_path / "raw2")
    second = publish.publish(
        working=deployment.working, published=deployment.published, k=5, note="payment keyed wrong"
    )
    assert second.release_id != first.release_id
    history = queries.releases(engine=deployment.published)
    assert [r.id for r in history] == [second.release_id, first.release_id]
    assert queries.current_release(engine=deployment.published).id == second.release_id
    corrections = queries.corrections(engine=deployment.published)
    assert second.corrections == len(corrections) > 0
    month = pd.Timestamp(fixed.loc[row, "paid_on"]).strftime("%Y-%m")
    programme = fixed.loc[row, "programme"]
    hit = corrections[
        (corrections["figure"] == "funds_disbursed")
        & (corrections["period"] == month)
        & (corrections["programme"] == programme)
        & (corrections["dimensions"] == "")
    ]
    if len(hit):  # published in both releases: old → new differs by exactly the correction
        assert hit.iloc[0]["new_value"] - hit.iloc[0]["old_value"] == pytest.approx(100)
    assert (corrections["note"] == "payment keyed wrong").all()
    assert (corrections["release_id"] == second.release_id).all()
    # the first release is still there, unchanged, for anyone who cited it
    old = queries.cells(engine=deployment.published, release_id=first.release_id)
    assert len(old) == first.cells


def test_unchanged_data_gives_no_corrections(loaded):
    deployment, _, _ = loaded
    publish.publish(working=deployment.working, published=deployment.published, k=5)
    again = publish.publish(working=deployment.working, published=deployment.published, k=5)
    assert again.corrections == 0


def test_failed_publish_leaves_the_current_release(loaded, monkeypatch):
    deployment, _, _ = loaded
    first = publish.publish(working=deployment.working, published=deployment.published, k=5)
    real = publish._write_cells

    def half_then_fail(session, release_id, cells):
        real(session, release_id, cells.iloc[: len(cells) // 2])
        raise RuntimeError("killed half-way")

    monkeypatch.setattr(publish, "_write_cells", half_then_fail)
    with pytest.raises(RuntimeError):
        publish.publish(working=deployment.working, published=deployment.published, k=5)
    assert queries.current_release(engine=deployment.published).id == first.release_id
    with deployment.published.connect() as connection:
        ids = {r[0] for r in connection.execute(Cell.__table__.select().with_only_columns(Cell.release_id))}
    assert ids == {first.release_id}


def test_as_of_cuts_the_grid(loaded):
    deployment, frames, _ = loaded
    as_of = dt.date(2022, 12, 31)
    result = publish.publish(working=deployment.working, published=deployment.published, k=5, as_of=as_of)
    cells = queries.cells(engine=deployment.published, release_id=result.release_id)
    assert result.as_of == as_of
    assert max(periods.parse(p).start for p in cells["period"].unique() if p != "all") <= as_of
    paid = frames["disbursements"]
    expected = (paid[paid["paid_on"] <= as_of.isoformat()]["amount"].astype(float)).sum()
    total = cells[
        (cells["figure"] == "funds_disbursed")
        & (cells["programme"] == "all")
        & (cells["period"] == "all")
        & cells[["region", "stage", "category", "purpose"]].isna().all(axis=1)
    ]
    assert total["value"].iloc[0] == pytest.approx(expected)


def test_the_store_file_alone_holds_the_release_and_copy_store_copies_it(tmp_path):
    """After publish the SQLite store's file alone is complete (its write-ahead log folded in):
    a replica copied from it, by `cp` or by `portal copy-store`, serves the current release."""
    import shutil
    import sqlite3
    import subprocess
    import sys

    from portal import queries
    from portal.db import make_engine
    from tests.conftest import ROOT, new_deployment

    # SQLite only: a PostgreSQL store is not copied, replicas share it through a read-only role
    deployment = new_deployment(tmp_path / "data")
    load_frames(deployment, random_raw(3), tmp_path / "raw")
    settings = deployment.settings
    database = settings.data_dir / "portal.db"
    # a running portal holds the store open: SQLite then folds the log in on no close of its own
    portal = sqlite3.connect(database)
    portal.execute("SELECT count(*) FROM release").fetchall()
    result = publish.publish(working=deployment.working, published=deployment.published, k=5)
    wal = database.with_name("portal.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the release is still (also) in the write-ahead log"
    shutil.copyfile(database, tmp_path / "plain.db")  # the .db file alone, no -wal beside it
    plain = make_engine(f"sqlite:///{tmp_path / 'plain.db'}", read_only=True)
    assert queries.current_release(engine=plain).id == result.release_id
    done = subprocess.run(
        [sys.executable, "-m", "portal.cli", "--lang", "en", "copy-store", "--out", str(tmp_path / "r" / "p.db")],
        env=deployment.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert result.release_id in done.stdout
    copy = make_engine(f"sqlite:///{tmp_path / 'r' / 'p.db'}", read_only=True)
    assert queries.current_release(engine=copy).id == result.release_id
    assert len(queries.cells(engine=copy, release_id=result.release_id)) == result.cells
    assert not (tmp_path / "r" / "p.db-wal").exists() and not (tmp_path / "r" / "p.db.part").exists()
    portal.close()
