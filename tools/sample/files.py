"""The sample as raw files: at small scales in the formats staff really hand over
(docs/raw-formats.md), at large scales as plain UTF-8 CSVs written one copy at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from tools.sample.build import LOAD_ORDER, units
from tools.sample.reference import DEFAULT_SEED

# How each file reaches the loaders at small scales: what staff really hand over (raw-formats.md).
# (kind: (file format, header language, encoding)); everything else is a canonical UTF-8 CSV.
STAFF_FORMATS: dict[str, tuple[str, str, str]] = {
    "children": ("csv", "zh", "gb18030"),  # Excel on Chinese Windows
    "disbursements": ("xlsx", "zh", ""),  # a workbook with a title row, 2023年4月20日 and ¥1,234.50
    "volunteer_hours": ("csv", "en", "utf-8-sig"),  # the check-in app's export
    "donations": ("csv", "zh", "utf-8"),  # the fundraising platform's export
    "stage_standards": ("csv", "zh", "utf-8"),
}
STAFF_FORMATS_UP_TO_SCALE = 2  # beyond, plain CSVs: a 10M-row workbook is not a real export


def write_streaming(out_dir: Path, *, scale: int, seed: int = DEFAULT_SEED) -> list[tuple[str, Path]]:
    """Large scales: plain UTF-8 CSVs appended one copy at a time, so memory stays flat."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / f"{kind}.csv" for kind in LOAD_ORDER}
    for path in paths.values():
        path.unlink(missing_ok=True)
    for unit in units(scale, seed):
        for kind, frame in unit.items():
            frame.to_csv(paths[kind], mode="a", header=not paths[kind].exists(), index=False, encoding="utf-8")
    return [(kind, paths[kind]) for kind in LOAD_ORDER]


def _headers(kind: str, columns, language: str) -> list[str]:
    import loaders

    spec = loaders.SPECS[kind].by_name
    names = []
    for column in columns:
        spellings = getattr(spec[column], language) if column in spec else ()
        names.append(spellings[0] if spellings else column)
    return names


def _chinese_date(iso: str) -> str:
    if not iso:
        return ""
    d = dt.date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


def _yuan(text: str) -> str:
    return f"¥{float(text):,.2f}" if text else ""


def _write_xlsx(frame: pd.DataFrame, path: Path, title: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([title])
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        sheet.append(list(row))
    book.save(path)


def write(frames: dict[str, pd.DataFrame], out_dir: Path, *, staff_formats: bool = True) -> Iterator[tuple[str, Path]]:
    """Write each table as the raw file staff would hand over; yields (kind, path) in load order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for kind in LOAD_ORDER:
        frame = frames[kind]
        fmt, language, encoding = (
            STAFF_FORMATS.get(kind, ("csv", "", "utf-8")) if staff_formats else ("csv", "", "utf-8")
        )
        if language:
            frame = frame.set_axis(_headers(kind, frame.columns, language), axis=1)
        if fmt == "xlsx":
            frame = frames[kind].copy()
            for column in ("paid_on",):
                frame[column] = frame[column].map(_chinese_date)
            frame["amount"] = frame["amount"].map(_yuan)
            frame = frame.set_axis(_headers(kind, frame.columns, language), axis=1)
            path = out_dir / f"{kind}.xlsx"
            _write_xlsx(frame, path, title="关爱金发放明细")
        else:
            path = out_dir / f"{kind}.csv"
            frame.to_csv(path, index=False, encoding=encoding)
        yield kind, path
