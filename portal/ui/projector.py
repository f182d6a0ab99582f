"""投影模式 / Projector mode of the board page (``?projector=1``): one slide a screen, each
fitting 1920 × 1080 and 1366 × 768 without scrolling. The sidebar, header and banners are
hidden; a bar on top holds ← / → (also the arrow keys), the slide counter in the middle, the
board pack and the way out. Charts are the board's own Altair specs drawn live, filling the
slide's height. Layout only: ``portal.board`` makes every slide's content, its CSS is in
``portal.ui.style``."""

from __future__ import annotations

import streamlit as st

from portal import board as boards
from portal import board_sections as sections
from portal import formatting, params
from portal.i18n import t
from portal.ui.board import board_metric, board_pack_button
from portal.ui.state import context, markdown_text
from portal.ui.style import PROJECTOR_CHART_CONFIG, PROJECTOR_CSS


def _switch(value: bool) -> None:
    st.session_state["_projector"] = value
    if value:
        st.query_params["projector"] = "1"
    else:
        for key in ("projector", "slide"):
            if key in st.query_params:
                del st.query_params[key]


def enter_button(lang: str) -> None:
    st.button(
        t("board.projector", lang),
        on_click=_switch,
        args=(True,),
        key="projector_enter",
        icon=":material/slideshow:",
        help=t("board.projector_help", lang),
    )


def show(view: boards.Board) -> None:
    """The whole projector page: the bar of controls, then the current slide."""
    ctx = context()
    lang = ctx.lang
    st.html(PROJECTOR_CSS)
    slides = sections.slides(view, lang)
    if not slides:
        st.info(t("notice.no_data_view", lang))
        return
    current = _current(len(slides))
    _bar(view, slides, current)
    with st.container(key="projector_slide"):
        _draw(view, slides[current])


def _current(n: int) -> int:
    if "_slide" not in st.session_state:
        st.session_state["_slide"] = params.slide_index(st.query_params.get("slide"), n)
    st.session_state["_slide"] = max(0, min(st.session_state["_slide"], n - 1))
    st.query_params["slide"] = str(st.session_state["_slide"] + 1)
    return st.session_state["_slide"]


def _move(step: int, n: int) -> None:
    st.session_state["_slide"] = (st.session_state["_slide"] + step) % n


def _bar(view: boards.Board, slides: list[sections.Slide], current: int) -> None:
    """Title and as-of on the left, ← n / N → in the middle, PDF and exit on the right: the
    outer columns are equal, so the counter sits in the centre of the screen."""
    ctx = context()
    lang, n = ctx.lang, len(slides)
    with st.container(key="projector_bar"):
        left, back, counter, forward, right = st.columns([4, 1.6, 1.4, 1.6, 4], vertical_alignment="center")
        # the page's h1 (a screen reader's first stop), set small: the slide is the show
        # the period first: a long programme name is cut at the end, the period never
        heading = f"{formatting.period(view.period, lang)} · {markdown_text(view.programme_name(lang))}"
        as_of = t("notice.as_of_short", lang, as_of=formatting.date(view.release.as_of, lang))
        sample = f" · {t('notice.sample_short', lang)}" if view.release.is_sample else ""
        left.markdown(f"# {heading}\n\n{markdown_text(as_of + sample)}", anchors=False)
        back.button(
            t("board.previous", lang),
            on_click=_move,
            args=(-1, n),
            key="slide_prev",
            width="stretch",
            shortcut="Left",  # Streamlit shows the key (←) in the button
        )
        counter.markdown(t("board.slide", lang, n=current + 1, total=n), text_alignment="center")
        forward.button(
            t("board.next", lang),
            on_click=_move,
            args=(1, n),
            key="slide_next",
            width="stretch",
            shortcut="Right",
        )
        with right.container(horizontal=True, horizontal_alignment="right"):
            board_pack_button(view.period, label=t("board.pack_short", lang))
            st.button(t("board.projector_exit", lang), on_click=_switch, args=(False,), key="projector_exit")


def _draw(view: boards.Board, slide: sections.Slide) -> None:
    lang = context().lang
    if slide.kind == "figures":
        st.header(slide.title, anchor=False)
        rows = list(slide.payload)
        for start in range(0, len(rows), 2):  # two a row, in reading order
            for column, row in zip(st.columns(2, gap="large"), rows[start : start + 2], strict=False):
                board_metric(row, view, container=column)
    elif slide.kind == "changes":
        st.header(slide.title, anchor=False)
        st.markdown("\n".join(f"- {markdown_text(sentence)}" for sentence in slide.payload))
    elif slide.kind == "chart":
        spec = slide.payload.chart.to_dict()
        spec["height"] = "container"  # the slide's height, whatever the screen
        spec["config"] = {**spec.get("config", {}), **PROJECTOR_CHART_CONFIG}
        st.vega_lite_chart(spec, width="stretch", height="stretch")
    else:
        st.header(slide.title, anchor=False)
        frame = sections.stage_frame(view, lang)
        st.table(frame.set_index(frame.columns[0]))
        for note in sections.stage_notes(view, lang):
            st.caption(note)
