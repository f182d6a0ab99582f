"""The files a visitor takes away: a view's cells as CSV and XLSX, its chart as PNG and SVG
(title, source, as-of and the view's URL drawn in), the whole release, each built on click;
and the portal's public address, which permalinks and citations carry."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from portal import downloads, queries
from portal.i18n import t
from portal.settings import get_settings
from portal.ui import store
from portal.ui.state import Context, context

CHART_EXPORT_PX = (1200, 675)
DOWNLOADS_PX = 170  # the downloads' control beside the table twin: "Download Excel" on one line
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "png": "image/png",
    "svg": "image/svg+xml",
}


def base_url() -> str:
    """The portal's public address as the visitor reached it (for permalinks and citations)."""
    from urllib.parse import urlsplit

    from portal import lookup

    try:
        url = st.context.url
    except Exception:  # outside a browser session (AppTest)
        url = None
    if url:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return lookup.base_url(get_settings())


def page_url(ctx: Context) -> str:
    from urllib.parse import urlencode

    params = {k: st.query_params.get(k) for k in st.query_params}
    return f"{base_url()}/{ctx.page}?{urlencode(params)}"


def download(where, label: str, build, *, file_name: str, mime: str, key: str, **options) -> None:
    """A download button whose file ``build()`` makes on click. ``on_click="ignore"``: a click
    must not rerun the page, as a rerun replaces the button's deferred file id while the
    click is still fetching the old one, and the download then fails (seen in CI)."""
    where.download_button(label, data=build, file_name=file_name, mime=mime, key=key, on_click="ignore", **options)


def downloads_menu(key: str, draw: Callable[[], None]) -> None:
    """The one control that holds a view's downloads (CSV, Excel, PNG, SVG): an expander, so
    its buttons follow it in the Tab order (a popover's body sits at the document's end).
    ``draw`` puts the buttons in, only while it is open: opening it runs the page again
    (``on_change="rerun"``) with them. Drawn closed on every view, a page's 20-30 buttons (each
    a widget, a deferred file registered with Streamlit's media file manager and a message)
    were a third of its elements and a quarter of its server CPU per view under load."""
    menu = st.expander(
        t("chart.downloads", context().lang),
        icon=":material/download:",
        key=f"downloads_{key}",
        width=DOWNLOADS_PX,
        on_change="rerun",
    )
    if menu.open:
        with menu:
            draw()


def downloads_only(view: pd.DataFrame, *, key: str) -> None:
    """CSV and XLSX buttons holding exactly the cells of ``view`` (the same export as
    ``portal figures``), one under the other (they live in ``downloads_menu``)."""
    ctx = context()
    columns = list(queries.CELL_COLUMNS)
    raw = view if list(view.columns) == columns else view[columns]
    view_name = f"{key} · {ctx.programme_name()} · {ctx.period_name()}"
    # the files are built on click, on another thread where st.session_state is not
    # reachable: everything they need is resolved here, in the script run
    url, release, lang = store.url(), ctx.release, ctx.lang
    _view_buttons(
        ctx,
        key,
        {
            "csv": (
                t("download.csv", lang),
                lambda: downloads.csv_bytes(raw, store.labels(url, release.id)),
            ),
            "xlsx": (
                t("download.xlsx", lang),
                lambda: downloads.xlsx_bytes(
                    raw, store.labels(url, release.id), release=release, lang=lang, view=view_name
                ),
            ),
        },
    )


def chart_exports(chart, *, key: str, title: str) -> None:
    """PNG and SVG of a chart with its title, source line, as-of and this view's URL drawn in."""
    from portal import chart_export

    ctx = context()
    info = chart_export.credits(
        title=title,
        lang=ctx.lang,
        release=ctx.release,
        url=page_url(ctx),
        subtitle=f"{ctx.programme_name()} · {ctx.period_name()}",
    )
    w, h = CHART_EXPORT_PX
    _view_buttons(
        ctx,
        key,
        {
            "png": (
                t("download.png", ctx.lang),
                lambda: chart_export.png(chart, info, width=w, height=h, scale=2),
            ),
            "svg": (
                t("download.svg", ctx.lang),
                lambda: chart_export.svg(chart, info, width=w, height=h).encode("utf-8"),
            ),
        },
    )


def _view_buttons(ctx: Context, key: str, files: dict[str, tuple[str, Callable[[], bytes]]]) -> None:
    """A button a file of the view, one under the other: {ending: (label, build)}; each file
    named after the release, the block and the view."""
    name = f"{ctx.release.id}_{key}_{ctx.programme}_{ctx.period}"
    for ending, (label, build) in files.items():
        download(
            st, label, build, file_name=f"{name}.{ending}", mime=MIME[ending], key=f"{ending}_{key}", width="stretch"
        )


def release_downloads() -> None:
    """The whole current release as CSV, XLSX and JSON (the cells ``portal figures`` prints),
    and the data package describing the CSV (``/api/v1/datapackage.json``)."""
    ctx = context()
    rid, base = ctx.release.id, base_url()  # read here: the files are built on another thread
    for column, kind in zip(st.columns(4), ("csv", "xlsx", "json", "datapackage"), strict=True):
        download(
            column,
            t(f"download.{kind}", ctx.lang),
            lambda kind=kind: store.release_file(store.url(), rid, kind, ctx.lang, base),
            file_name=f"datapackage_{rid}.json" if kind == "datapackage" else f"open-figures_{rid}.{kind}",
            mime=MIME["json" if kind == "datapackage" else kind],
            key=f"release_{kind}",
            width="stretch",
        )
