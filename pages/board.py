"""理事会 Board: a quarter or a year against the prior period and the same period last year,
balance and disbursement rate over time, the stage table against the yearly standards, the
biggest changes in words; a projector mode (?projector=1: large type, high contrast, one
chart per screen) and the board pack PDF."""

import streamlit as st

from portal import board, formatting, periods, ui
from portal.i18n import t

ctx = ui.context()
lang = ctx.lang
period = ui.board_period(ctx)
view = ui.board(period)
projector = ui.projector_toggle()

st.title(t("board.title", lang))
st.caption(f"{view.programme_name(lang)} · {formatting.period(period, lang)}")
if period != ctx.period:
    st.info(t("board.pick_period", lang, period=formatting.period(period, lang)))

if projector:
    ui.projector_style()
    slides = ui.board_slides(view)
    slide = ui.slide_picker(slides)
    ui.draw_slide(view, slides[slide])
else:
    st.header(t("board.headlines", lang))
    if view.prior:
        st.caption(t("board.deltas_vs", lang, previous=formatting.period(view.prior, lang)))
    columns = st.columns(4)
    for i, row in enumerate(board.headline_rows(view, lang)):
        ui.board_metric(row, view, container=columns[i % 4])
    st.header(t("board.changes", lang))
    found = board.changes(view)
    st.markdown("\n".join(f"- {board.change_sentence(view, c, lang)}" for c in found) or t("board.no_changes", lang))
    st.dataframe(board.headline_frame(view, lang), hide_index=True, width="stretch")
    for item in board.board_charts(view, lang):
        ui.chart_block(item.chart, item.view, key=f"board_{item.key}", caption=item.title, dimension=item.dimension)
    st.header(t("board.stage_table", lang))
    stages = board.stage_frame(view, lang)
    if stages.empty:
        st.info(t("notice.no_data_view", lang))
    else:
        st.dataframe(stages, hide_index=True, width="stretch")
        if periods.period_type(period) == "quarter":
            st.caption(t("board.quarter_note", lang))
ui.board_pack_button(period)
