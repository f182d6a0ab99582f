"""The board page's Streamlit side: its view of one period (``portal.board`` makes it), its
words, tables and charts built once per view, its headline cards, the board pack PDF button
and whether it shows as slides (``portal.ui.projector``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from portal import board as boards
from portal import board_sections as sections
from portal import formatting
from portal.figures import BY_KEY
from portal.i18n import t
from portal.ui import store
from portal.ui.blocks import Drawn, draw
from portal.ui.files import base_url, download
from portal.ui.state import context


def board(period: str) -> boards.Board:
    ctx = context()
    return store.board(store.url(), ctx.release.id, ctx.programme, period)


@dataclass(frozen=True)
class BoardText:
    """The board page's words, tables and charts for one view, built once (``board_text``)."""

    rows: list[dict]
    changes: list[tuple[str, list[str]]]  # (title, sentences) since each period compared with
    no_payments: list[str]
    headlines: pd.DataFrame
    charts: list[tuple[str, Drawn | None]]
    stages: pd.DataFrame
    stage_notes: list[str]


def board_text(view: boards.Board, period: str) -> BoardText:
    return store.per_view(context().identity("board", period), lambda: _board_text(view))


def _board_text(view: boards.Board) -> BoardText:
    lang = context().lang
    return BoardText(
        rows=boards.headline_rows(view, lang),
        changes=boards.change_lists(view, lang),
        no_payments=boards.no_payments(view, lang),
        headlines=boards.headline_frame(view, lang),
        charts=[
            (item.key, draw(item.chart, item.view, caption=item.title, dimension=item.dimension, total_note=False))
            for item in sections.board_charts(view, lang)
        ],
        stages=sections.stage_frame(view, lang),
        stage_notes=sections.stage_notes(view, lang),
    )


def board_pack_button(period: str, *, label: str | None = None) -> None:
    ctx = context()
    rid, base = ctx.release.id, base_url()
    download(
        st,
        label or t("board.pack_button", ctx.lang),
        lambda: store.board_pack(store.url(), rid, ctx.programme, period, ctx.lang, base),
        file_name=f"board-pack_{rid}_{ctx.programme}_{period}_{ctx.lang}.pdf",
        mime="application/pdf",
        key="board_pack",
        icon=":material/picture_as_pdf:",
    )


def projector_on() -> bool:
    """Whether the board shows as slides (``portal.ui.projector``): ``?projector=1`` on
    arrival, then its buttons."""
    if "_projector" not in st.session_state:
        st.session_state["_projector"] = st.query_params.get("projector") == "1"
    return st.session_state["_projector"]


def board_metric(row: dict, view: boards.Board, *, container=None) -> None:
    """A headline figure of the board: its value, the change on the prior period as the
    metric's delta (the period named under it), the same period last year in a line below."""
    ctx = context()
    box = container or st
    delta, since = None, None
    if view.comparable(view.prior) and row["prior_change"] != boards.DASH:
        pct = f" ({row['prior_pct']})" if row["prior_pct"] != boards.DASH else ""
        delta = f"{row['prior_change']}{pct}"
        since = t("board.since_prior_short", ctx.lang, period=formatting.period(view.prior, ctx.lang))
    help_text = BY_KEY[row["figure"]].definition(ctx.lang)
    if row["status"] != "published":
        help_text += "\n\n" + formatting.reason(row["reason"] or "primary", ctx.lang, ctx.k)
    box.metric(row["name"], row["now"], delta=delta, delta_description=since, help=help_text)
    if view.compares_last_year and view.comparable(view.last_year):
        then = t("board.since_last_year_short", ctx.lang, period=formatting.period(view.last_year, ctx.lang))
        change = row["last_pct"] if row["last_pct"] != boards.DASH else row["last_change"]
        box.caption(t("board.card_line", ctx.lang, then=then, value=row["last"], change=change))
