"""Downloads of one view: CSV (UTF-8 with BOM, via ``portal.export`` so a download holds
exactly the cells ``portal figures`` prints) and XLSX with a second sheet naming the source,
release, as-of date and licence."""

from __future__ import annotations

import io

import pandas as pd

from portal import export
from portal.i18n import t
from portal.queries import ReleaseInfo


def csv_bytes(cells: pd.DataFrame, labels: pd.DataFrame) -> bytes:
    return export.to_csv(cells, labels)


def xlsx_bytes(
    cells: pd.DataFrame, labels: pd.DataFrame, *, release: ReleaseInfo, lang: str, view: str, url: str = ""
) -> bytes:
    buffer = io.BytesIO()
    about = pd.DataFrame(export.about_rows(release=release, lang=lang, view=view, url=url), columns=["key", "value"])
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        export.labelled(cells, labels).to_excel(writer, sheet_name=t("xlsx.sheet_data", lang), index=False)
        about.to_excel(writer, sheet_name=t("xlsx.sheet_about", lang), index=False, header=False)
    return buffer.getvalue()
