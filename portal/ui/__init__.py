"""The portal's Streamlit side, the only place that imports Streamlit: pages do
``from portal import ui`` and call the names below. Each module is one concern:

- ``store``: the one cache: engine, published data per release id, blocks per view
- ``state``: the view a visitor chose (``Context``) and the data a page reads for it
- ``filters``: URL ↔ widget state (language, programme, period, county)
- ``chrome``: what frames every page (the guard, empty store, as-of line, notices)
- ``blocks``: headline metrics and chart blocks; ``files``: the downloads
- ``board``, ``projector``, ``receipt``: those pages' Streamlit bits; ``style``: the CSS
"""

from portal.ui.blocks import (
    bar_block,
    chart_block,
    embed_address,
    figure_name,
    headline_row,
    metric,
    per_view,
    period_texts,
    show,
    sparkline,
    trend_block,
)
from portal.ui.board import board, board_metric, board_pack_button, board_text, projector_on
from portal.ui.chrome import coverage_notes, navigation_pages, page_top, run_guarded
from portal.ui.files import base_url, downloads_menu, downloads_only, release_downloads
from portal.ui.filters import language
from portal.ui.receipt import check_receipt, receipt_checks_available, receipt_checks_left, remember_visitor
from portal.ui.state import (
    FIND_RESULTS,
    cells,
    context,
    history,
    labels,
    lookup_index,
    markdown_text,
    page_cells,
    present,
    previous_of,
    standards,
    trend_periods,
)

__all__ = [
    "FIND_RESULTS",
    "bar_block",
    "base_url",
    "board",
    "board_metric",
    "board_pack_button",
    "board_text",
    "cells",
    "chart_block",
    "check_receipt",
    "context",
    "coverage_notes",
    "downloads_menu",
    "downloads_only",
    "embed_address",
    "figure_name",
    "headline_row",
    "history",
    "labels",
    "language",
    "lookup_index",
    "markdown_text",
    "metric",
    "navigation_pages",
    "page_cells",
    "page_top",
    "per_view",
    "period_texts",
    "present",
    "previous_of",
    "projector_on",
    "receipt_checks_available",
    "receipt_checks_left",
    "release_downloads",
    "remember_visitor",
    "run_guarded",
    "show",
    "sparkline",
    "standards",
    "trend_block",
    "trend_periods",
]
