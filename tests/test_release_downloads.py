"""The whole release as CSV, XLSX and JSON (the Find page's downloads) holds the same cells as
`portal figures`: same rows, same values, same statuses, withheld values empty."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

from portal import export, queries
from portal.i18n import t

from .conftest import ROOT


@pytest.fixture(scope="module")
def release_cells(sample_store):
    engine = sample_store.published
    release = queries.current_release(engine=engine)
    cells = queries.cells(engine=engine, release_id=release.id)
    labels = queries.labels(engine=engine, release_id=release.id)
    done = subprocess.run(
        [sys.executable, "-m", "portal.cli", "figures", "--format", "json"],
        env=sample_store.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return release, cells, labels, json.loads(done.stdout)


def test_json_download_is_portal_figures(release_cells):
    release, cells, _, document = release_cells
    assert json.loads(export.to_json(release, cells)) == document


def test_xlsx_download_holds_the_same_cells(release_cells, lang="zh"):
    release, cells, labels, document = release_cells
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(release, cells, labels, lang=lang)), read_only=True)
    assert book.sheetnames == [t("xlsx.sheet_data", lang), t("xlsx.sheet_about", lang)]
    rows = list(book[t("xlsx.sheet_data", lang)].values)
    # a read-only sheet trims a row's trailing empty cells (a published cell's empty reason)
    rows = [(*row, *[None] * (len(rows[0]) - len(row))) for row in rows]
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    expected = pd.DataFrame(document["cells"])
    assert len(frame) == len(expected)
    for column in export.EXPORT_COLUMNS:
        got = [None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in frame[column]]
        want = [None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in expected[column]]
        assert got == want, column
    assert frame.loc[frame["status"] == "withheld", "value"].isna().all()
    about = dict(book[t("xlsx.sheet_about", lang)].values)
    assert about[t("col.release", lang)] == release.id
    assert about[t("col.as_of", lang)] == release.as_of.isoformat()


def test_xlsx_download_in_english_names_its_sheets_in_english(release_cells):
    release, cells, labels, _ = release_cells
    data = export.to_xlsx(release, cells.head(200), labels, lang="en")
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == [t("xlsx.sheet_data", "en"), t("xlsx.sheet_about", "en")]
    assert len(list(book[t("xlsx.sheet_data", "en")].values)) == 201


def test_csv_download_is_portal_figures_csv(release_cells, sample_store):
    _, cells, labels, _ = release_cells
    done = subprocess.run(
        [sys.executable, "-m", "portal.cli", "figures", "--format", "csv"],
        env=sample_store.env(),
        cwd=ROOT,
        capture_output=True,
        timeout=600,
        check=True,
    )
    assert export.to_csv(cells, labels) == done.stdout
