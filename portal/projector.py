"""投影模式 / Projector mode of the board page (``?projector=1``): one slide a screen, each
fitting 1920 × 1080 and 1366 × 768 without scrolling. The sidebar, header and banners are
hidden; a bar on top holds ← / → (also the arrow keys), the slide counter in the middle, the
board pack and the way out. Charts are the board's own Altair specs drawn live, filling the
slide's height. Layout only: ``portal.board`` makes every slide's content."""

from __future__ import annotations

import streamlit as st

from portal import board as boards
from portal import formatting, params, ui
from portal.i18n import t

# Type and the slide's height follow the screen's height (vh), capped for tall screens: what
# fits a 1080-pixel projector then fits a 768-pixel laptop too. The bar on top is 5.5rem.
CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stLayoutWrapper"]:has(> .st-key-top_bar), .st-key-top_bar,
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
[data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #ffffff; color: #000000; }
.block-container { max-width: 100% !important; padding: .6rem 2.5rem 0 2.5rem !important; }
.st-key-projector_bar { height: 4.6rem; overflow: hidden; }
.st-key-projector_bar p { font-size: min(1.15rem, 2.4vh) !important; }
.st-key-projector_bar h1 { font-size: min(1.3rem, 2.7vh) !important; padding: 0 !important; margin: 0 !important;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; line-height: 1.3 !important; }
.st-key-projector_bar h1 + p { margin: .15rem 0 0 0 !important; color: #333333; }
.st-key-projector_bar [data-testid="stVerticalBlock"] { gap: .1rem; }
.st-key-projector_slide { height: calc(100vh - 6rem) !important; flex: none !important; overflow: hidden; }
.st-key-projector_slide h2 { font-size: min(2.6rem, 5vh) !important; color: #000000; padding: 0 0 .4rem 0; }
.st-key-projector_slide [data-testid="stMetricValue"], .st-key-projector_slide [data-testid="stMetricValue"] * {
  font-size: min(4.6rem, 8.5vh) !important; color: #000000 !important; font-weight: 800; line-height: 1.15;
  white-space: normal !important; overflow: visible !important; }
.st-key-projector_slide [data-testid="stMetricLabel"], .st-key-projector_slide [data-testid="stMetricLabel"] p {
  font-size: min(2.2rem, 4.2vh) !important; color: #000000 !important; font-weight: 700; }
.st-key-projector_slide [data-testid="stMetricDelta"], .st-key-projector_slide [data-testid="stMetricDelta"] * {
  font-size: min(1.9rem, 3.4vh) !important; }
.st-key-projector_slide [data-testid="stCaptionContainer"] p {
  font-size: min(1.6rem, 3vh) !important; color: #1a1a1a !important; }
.st-key-projector_slide [data-testid="stMarkdownContainer"] li {
  font-size: min(2.2rem, 3.9vh); line-height: 1.4; color: #000000; }
.st-key-projector_slide [data-testid="stTable"] td, .st-key-projector_slide [data-testid="stTable"] th {
  font-size: min(1.7rem, 2.5vh) !important; color: #000000; padding: .4vh .8rem; }
</style>
"""
# a chart's type on a projector: read from the back of the room
CHART_CONFIG = {
    "axis": {"labelFontSize": 20, "titleFontSize": 22},
    "legend": {"labelFontSize": 20, "titleFontSize": 20, "symbolSize": 240},
    "title": {"fontSize": 30, "subtitleFontSize": 20},
    "text": {"fontSize": 20},
}


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
    ctx = ui.context()
    lang = ctx.lang
    st.html(CSS)
    slides = boards.slides(view, lang)
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


def _bar(view: boards.Board, slides: list[boards.Slide], current: int) -> None:
    """Title and as-of on the left, ← n / N → in the middle, PDF and exit on the right: the
    outer columns are equal, so the counter sits in the centre of the screen."""
    ctx = ui.context()
    lang, n = ctx.lang, len(slides)
    with st.container(key="projector_bar"):
        left, back, counter, forward, right = st.columns([4, 1.6, 1.4, 1.6, 4], vertical_alignment="center")
        # the page's h1 (a screen reader's first stop), set small: the slide is the show
        # the period first: a long programme name is cut at the end, the period never
        heading = f"{formatting.period(view.period, lang)} · {ui.markdown_text(view.programme_name(lang))}"
        as_of = t("notice.as_of_short", lang, as_of=formatting.date(view.release["as_of"], lang))
        sample = f" · {t('notice.sample_short', lang)}" if view.release["is_sample"] else ""
        left.markdown(f"# {heading}\n\n{ui.markdown_text(as_of + sample)}", anchors=False)
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
            ui.board_pack_button(view.period, label=t("board.pack_short", lang))
            st.button(t("board.projector_exit", lang), on_click=_switch, args=(False,), key="projector_exit")


def _draw(view: boards.Board, slide: boards.Slide) -> None:
    lang = ui.context().lang
    if slide.kind == "figures":
        st.header(slide.title, anchor=False)
        rows = list(slide.payload)
        for start in range(0, len(rows), 2):  # two a row, in reading order
            for column, row in zip(st.columns(2, gap="large"), rows[start : start + 2], strict=False):
                ui.board_metric(row, view, container=column)
    elif slide.kind == "changes":
        st.header(slide.title, anchor=False)
        st.markdown("\n".join(f"- {ui.markdown_text(sentence)}" for sentence in slide.payload))
    elif slide.kind == "chart":
        spec = slide.payload.chart.to_dict()
        spec["height"] = "container"  # the slide's height, whatever the screen
        spec["config"] = {**spec.get("config", {}), **CHART_CONFIG}
        st.vega_lite_chart(spec, width="stretch", height="stretch")
    else:
        st.header(slide.title, anchor=False)
        frame = boards.stage_frame(view, lang)
        st.table(frame.set_index(frame.columns[0]))
        for note in boards.stage_notes(view, lang):
            st.caption(note)
