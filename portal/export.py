"""``portal figures``: every cell of a release as JSON or CSV, exactly what the pages show.
Downloads of a page's view go through the same functions on a subset of cells."""

from __future__ import annotations

import io
import json
import math

import pandas as pd

from portal.figures import BY_KEY
from portal.i18n import t
from portal.queries import ReleaseInfo
from portal.spreadsheet import escape
from portal.vocab import DIMENSIONS, vocabulary

# ``reason`` says why a withheld cell is withheld (primary: too few people; dominance, geography,
# complementary: for other reasons), as the pages' notes do; empty where published
EXPORT_COLUMNS: tuple[str, ...] = ("figure", "programme", "period", *DIMENSIONS, "value", "unit", "status", "reason")
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"  # CC BY 4.0, named in every download


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def export_frame(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells in the export's column order, with each figure's unit and money rounded to the fen."""
    frame = cells.copy()
    frame["unit"] = frame["figure"].map(lambda f: BY_KEY[f].unit)
    decimals = frame["figure"].map(lambda f: BY_KEY[f].decimals)
    frame["value"] = [
        None if pd.isna(v) else round(float(v), int(d)) for v, d in zip(frame["value"], decimals, strict=True)
    ]
    frame["value"] = frame["value"].astype(object)
    frame.loc[frame["status"] != "published", "value"] = None
    frame["reason"] = frame["reason"].where(frame["status"] != "published", None)
    return frame[list(EXPORT_COLUMNS)]


def to_json(
    release: ReleaseInfo, cells: pd.DataFrame, *, labels: pd.DataFrame | None = None, lang: str | None = None
) -> str:
    """The release and its cells; with ``labels`` and ``lang``, each cell also carries
    ``figure_name``, ``programme_name`` and ``<dimension>_name`` in that language."""
    frame = named(cells, labels) if labels is not None and lang else export_frame(cells)
    columns = list(EXPORT_COLUMNS)
    if labels is not None and lang:
        other = "en" if lang == "zh" else "zh"
        frame = frame.drop(columns=[c for c in frame.columns if c.endswith(f"_name_{other}")])
        frame = frame.rename(columns={c: c.removesuffix(f"_{lang}") for c in frame.columns})
        columns = list(frame.columns)
    records = [
        {column: _plain(value) for column, value in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
    document = {"release": release.id, "as_of": release.as_of.isoformat(), "k": release.k, "cells": records}
    return json.dumps(document, ensure_ascii=False)


def labelled(cells: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """The export frame plus ``*_name_zh`` / ``*_name_en`` label columns, made inert for
    spreadsheets (a name typed as ``=HYPERLINK(...)`` stays text)."""
    return inert(named(cells, labels))


def labelled_columns() -> list[str]:
    """The CSV's columns, in order (the data package describes them)."""
    empty_cells = pd.DataFrame(columns=[c for c in EXPORT_COLUMNS if c != "unit"])
    return list(named(empty_cells, pd.DataFrame(columns=["dimension", "code", "name_zh", "name_en"])).columns)


def named(cells: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """The export frame plus ``*_name_zh`` / ``*_name_en`` label columns."""
    frame = export_frame(cells)
    out = frame.copy()
    names = {(r.dimension, r.code): (r.name_zh, r.name_en) for r in labels.itertuples()}
    out.insert(1, "figure_name_zh", frame["figure"].map(lambda f: BY_KEY[f].name_zh))
    out.insert(2, "figure_name_en", frame["figure"].map(lambda f: BY_KEY[f].name_en))
    for dimension in ("programme", *DIMENSIONS):
        if dimension in ("programme", "region"):

            def lookup(code, i, dim=dimension):
                if code is None or code == "all" or pd.isna(code):
                    return None
                return names.get((dim, code), (code, code))[i]
        else:
            vocab = vocabulary(dimension)

            def lookup(code, i, vocab=vocab):
                if code is None or pd.isna(code):
                    return None
                return vocab.label(code, "zh" if i == 0 else "en")

        position = out.columns.get_loc(dimension) + 1
        out.insert(position, f"{dimension}_name_zh", frame[dimension].map(lambda c, f=lookup: f(c, 0)))
        out.insert(position + 1, f"{dimension}_name_en", frame[dimension].map(lambda c, f=lookup: f(c, 1)))
    return out


def inert(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell a spreadsheet would run as a formula gets a leading apostrophe
    (``portal.spreadsheet``); numbers and empty cells are left alone."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(escape, na_action="ignore")
    return out


def to_csv(cells: pd.DataFrame, labels: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel on Chinese Windows opens it as it is."""
    buffer = io.StringIO()
    # CRLF rows (RFC 4180): a CR inside a text cell is then quoted, never read as a new row
    labelled(cells, labels).to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def about_rows(*, release: ReleaseInfo, lang: str, view: str, url: str = "") -> list[tuple[str, str]]:
    rows = [
        (t("xlsx.source", lang), t("app.title", lang)),
        (t("xlsx.view", lang), view),
        (t("col.release", lang), release.id),
        (t("col.as_of", lang), release.as_of.isoformat()),
        (t("col.k", lang), str(release.k)),
        (t("xlsx.licence", lang), f"{t('xlsx.licence_text', lang)} {LICENCE_URL}"),
        (t("col.note", lang), t("xlsx.withheld_note", lang)),
    ]
    if release.is_sample:
        rows.append((t("col.sample", lang), t("notice.sample", lang)))
    if url:
        rows.append(("URL", url))
    # the view's name carries a programme's name from a raw file, the URL a visitor's query
    return [(key, escape(value)) for key, value in rows]


def to_xlsx(release: ReleaseInfo, cells: pd.DataFrame, labels: pd.DataFrame, *, lang: str, view: str = "") -> bytes:
    """The whole release as a workbook: the same rows and columns as the CSV, then a sheet
    naming the source, release, as-of date and licence. Written row by row (openpyxl's
    write-only mode): a release of 76,000 cells takes seconds rather than most of a minute."""
    from openpyxl import Workbook

    frame = labelled(cells, labels)
    book = Workbook(write_only=True)
    data = book.create_sheet(t("xlsx.sheet_data", lang))
    data.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        data.append([None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v for v in row])
    about = book.create_sheet(t("xlsx.sheet_about", lang))
    for key, value in about_rows(release=release, lang=lang, view=view or release.id):
        about.append([escape(key), escape(value)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
