"""理事会 Board: a quarter or a year against the prior period and the same period last year,
balance and disbursement rate over time, the stage table against the standards, the biggest
changes in two labelled lists; a projector mode (?projector=1, ``portal.ui.projector``) and the
board pack PDF."""

import streamlit as st

from portal import board as boards
from portal import formatting, ui
from portal.i18n import t
from portal.ui import projector

ctx = ui.context()
lang = ctx.lang
period = boards.choose_period(ctx.period, ctx.all_periods, coverage=ctx.coverage, programme=ctx.programme)
view = ui.board(period)

if ui.projector_on():
    projector.show(view)
else:
    st.title(t("nav.board", lang))
    st.caption(f"{ui.markdown_text(view.programme_name(lang))} · {formatting.period(period, lang)}")
    if period != ctx.period:
        st.info(t("board.pick_period", lang, period=formatting.period(period, lang)))
    ui.coverage_notes(boards.HEADLINES, period=period)
    with st.container(horizontal=True):
        projector.enter_button(lang)
        ui.board_pack_button(period)

    text = ui.board_text(view, period)
    st.header(t("board.headlines", lang))
    # a row holds what fits whole at 1366 px: three "2,375.99万元", two "CNY 23,759,866.00"
    across = 3 if lang == "zh" else 2
    for start in range(0, len(text.rows), across):  # row by row, in reading order
        for column, row in zip(st.columns(across), text.rows[start : start + across], strict=False):
            ui.board_metric(row, view, container=column.container(border=True, height="stretch"))
    for sentence in text.no_payments:
        st.caption(sentence)
    st.dataframe(text.headlines, hide_index=True, width="stretch")

    st.header(t("board.changes", lang))
    if not any(sentences for _, sentences in text.changes):
        st.write(t("board.no_changes", lang))
    for title, sentences in text.changes:
        if sentences:
            st.subheader(title, anchor=False)
            st.markdown("\n".join(f"- {ui.markdown_text(sentence)}" for sentence in sentences))

    for key, drawn in text.charts:
        ui.show(drawn, key=f"board_{key}")
    if ctx.has("children_served"):  # else the programme pays nothing out: the note said so
        st.header(t("board.stage_table", lang))
        if text.stages.empty:
            st.info(t("notice.no_data_view", lang))
        else:
            st.dataframe(text.stages, hide_index=True, width="stretch")
            for note in text.stage_notes:
                st.caption(note)
