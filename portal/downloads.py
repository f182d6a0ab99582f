"""Downloads of one view: CSV (UTF-8 with BOM, via ``portal.export`` so a download holds
exactly the cells ``portal figures`` prints) and XLSX with a second sheet naming the source,
release, as-of date and licence."""

from __future__ import annotations

import io

import pandas as pd

from portal import export, spreadsheet
from portal.i18n import t
from portal.queries import ReleaseInfo

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


def csv_bytes(cells: pd.DataFrame, labels: pd.DataFrame) -> bytes:
    return export.to_csv(cells, labels)


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
    return [(key, spreadsheet.escape(value)) for key, value in rows]


def xlsx_bytes(
    cells: pd.DataFrame, labels: pd.DataFrame, *, release: ReleaseInfo, lang: str, view: str, url: str = ""
) -> bytes:
    buffer = io.BytesIO()
    about = pd.DataFrame(about_rows(release=release, lang=lang, view=view, url=url), columns=["key", "value"])
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        export.labelled(cells, labels).to_excel(writer, sheet_name=t("xlsx.sheet_data", lang), index=False)
        about.to_excel(writer, sheet_name=t("xlsx.sheet_about", lang), index=False, header=False)
    return buffer.getvalue()
