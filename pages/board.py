"""理事会 Board: a quarter or a year against the prior period and the same period last year,
balance and disbursement rate over time, the stage table against the yearly standards, the
biggest changes in words; a projector mode (?projector=1: large type, high contrast, one
chart per screen) and the board pack PDF."""

import streamlit as st

from portal import board as boards
from portal import formatting, periods, ui
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
ui.coverage_notes(boards.HEADLINES, period=period)

if projector:
    ui.projector_style()
    slides = ui.board_slides(view)
    slide = ui.slide_picker(slides)
    ui.draw_slide(view, slides[slide])
else:
    st.header(t("board.headlines", lang))
    if view.comparable(view.prior):
        st.caption(t("board.deltas_vs", lang, previous=formatting.period(view.prior, lang)))
    text = ui.board_text(view, period)
    across = min(4, max(len(text.rows), 1))  # two figures take half the width each, not a quarter
    columns = st.columns(across)
    for i, row in enumerate(text.rows):
        ui.board_metric(row, view, container=columns[i % across])
    st.header(t("board.changes", lang))
    st.markdown("\n".join(f"- {sentence}" for sentence in text.changes) or t("board.no_changes", lang))
    st.dataframe(text.headlines, hide_index=True, width="stretch")
    for key, drawn in text.charts:
        ui.show(drawn, key=f"board_{key}")
    if ctx.has("children_served"):  # else the programme pays nothing out: the note said so
        st.header(t("board.stage_table", lang))
        if text.stages.empty:
            st.info(t("notice.no_data_view", lang))
        else:
            st.dataframe(text.stages, hide_index=True, width="stretch")
            if periods.period_type(period) == "quarter":
                st.caption(t("board.quarter_note", lang))
ui.board_pack_button(period)
