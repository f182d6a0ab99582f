"""The board pack: a PDF of ``portal.board`` for one quarter or year (cover, headline figures
against the prior period and the same period last year, the biggest changes, one chart per
page, the stage table against the yearly standards, definitions, as-of and withheld notes).

Built with fpdf2, Chinese drawn with the system's Noto Sans CJK SC (``portal.fonts``, embedded
as a subset so ``pdftotext`` reads it back); charts are ``portal.charts``' Altair specs rendered
by vl-convert through ``portal.chart_export``. No Streamlit here."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from dataclasses import dataclass

from fpdf import FPDF, ViewerPreferences
from fpdf.fonts import FontFace

from portal import board as boards
from portal import board_sections as sections
from portal import chart_export, fonts, formatting
from portal.coverage import families_text
from portal.figures import BY_KEY
from portal.i18n import t
from portal.vocab import vocabulary

A4_LANDSCAPE = (297, 210)
MARGIN = 14
INK = (26, 26, 26)
MUTED = (85, 85, 85)
ACCENT = (0, 114, 178)  # Okabe-Ito blue, the portal's single-series colour
STRIPE = (242, 246, 250)
CHART_PX = (1600, 860)


@dataclass
class Pack:
    pdf: bytes
    pages: int


class _Document(FPDF):
    def __init__(self, board: boards.Board, lang: str, url: str, author: str):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.board, self.ui_lang, self.url = board, lang, url
        regular, bold = fonts.face(), fonts.face(bold=True)
        self.add_font("cjk", "", str(regular.path), collection_font_number=regular.index)
        self.add_font("cjk", "B", str(bold.path), collection_font_number=bold.index)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 6)
        self.set_font("cjk", size=10)
        self.set_text_color(*INK)
        # what a reader's PDF viewer and a screen reader announce: title, language, author,
        # subject; the creation date is when the pack was made (fpdf2's default: now)
        self.set_lang("zh-CN" if lang == "zh" else "en-GB")  # FPDF keeps its own .lang
        subject = f"{board.programme_name(lang)} · {formatting.period(board.period, lang)}"
        self.set_title(f"{t('board.pack_title', lang)} · {subject}")
        self.set_subject(subject)
        self.set_author(author or t("app.title", lang))
        self.set_creator(t("app.title", lang))
        self.set_keywords(f"release {board.release.id}; as of {board.release.as_of.isoformat()}")
        self.set_creation_date(dt.datetime.now(dt.UTC))
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)
        self.page_mode = "USE_OUTLINES"

    def normalize_text(self, text: str) -> str:
        """Text the font can draw: invisible format marks (right-to-left marks, zero-width
        spaces and joiners) dropped, any other character the font lacks shown as "?"; so a
        name typed with them prints, and fpdf2 prints no font warning on the user's terminal."""
        text = super().normalize_text(text)
        cmap = getattr(self.current_font, "cmap", None)
        if not cmap or all(ord(c) in cmap for c in text):
            return text
        return "".join(
            c if ord(c) in cmap or c in "\n\t" else "" if unicodedata.category(c) in ("Cf", "Cc") else "?" for c in text
        )

    def footer(self):
        if self.page_no() == 1:
            return
        self.set_y(-MARGIN)
        self.set_font("cjk", size=8)
        self.set_text_color(*MUTED)
        board, lang = self.board, self.ui_lang
        left = t(
            "board.footer",
            lang,
            programme=board.programme_name(lang),
            period=formatting.period(board.period, lang),
            release=board.release.id,
            as_of=formatting.date(board.release.as_of, lang),
        )
        page = t("board.page", lang, page=self.page_no(), pages="{nb}")
        room = A4_LANDSCAPE[0] - 2 * MARGIN - self.get_string_width(page) - 8
        self.cell(room, 5, _fit(self, left, room), align="L")
        self.set_x(MARGIN)
        self.cell(0, 5, page, align="R")
        self.set_text_color(*INK)

    # ------------------------------------------------------------ blocks

    def heading(self, text: str, size: int = 18, *, outline: int | None = 0):
        if outline is not None:  # a bookmark in the PDF's outline, for navigation and screen readers
            self.start_section(text, level=outline)
        self.set_font("cjk", "B", size)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.ln(3)

    def paragraph(self, text: str, size: int = 10, color=INK):
        self.set_font("cjk", size=size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.ln(1.5)

    def grid(self, columns: list[str], rows: list[list[str]], widths: tuple[float, ...], size: int = 10):
        self.set_font("cjk", size=size)
        align = ["LEFT"] + ["RIGHT"] * (len(columns) - 1)
        heads = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=ACCENT)
        with self.table(
            col_widths=widths,
            text_align=align,
            line_height=size * 0.5,
            headings_style=heads,
            cell_fill_color=STRIPE,
            cell_fill_mode="ROWS",
            borders_layout="HORIZONTAL_LINES",
            padding=(1.2, 1.6),
        ) as table:
            for row in [columns, *rows]:
                line = table.row()
                for text in row:
                    line.cell(text)
        self.ln(3)


def _fit(doc: FPDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` mm in the current font (a long name in a
    footer must not run over the page number)."""
    if doc.get_string_width(text) <= width:
        return text
    while text and doc.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def build(board: boards.Board, lang: str, *, base_url: str = "", author: str = "") -> Pack:
    """The PDF of ``board`` in ``lang``; its page count beside it. ``base_url`` is the portal's
    public address for the permalinks, ``author`` the charity that publishes it."""
    from portal import lookup

    base = base_url or lookup.DEFAULT_BASE_URL
    url = sections.board_url(board, lang, base)
    doc = _Document(board, lang, url, author)
    _cover(doc)
    _headlines(doc)
    _charts(doc)
    _stages(doc)
    _definitions(doc)
    _notes(doc)
    data = bytes(doc.output())
    return Pack(pdf=data, pages=doc.pages_count)


CARD_GAP = 4
CARD_HEIGHT = 56
SMALL_CARD_HEIGHT = 48


def _cover(doc: _Document):
    """Page 1 is the summary: the period's four headline figures, each beside the prior period
    and the same period last year, then as-of, release, programme and the permalink."""
    board, lang = doc.board, doc.ui_lang
    doc.add_page()
    doc.start_section(t("board.outline_cover", lang))
    doc.set_font("cjk", size=11)
    doc.set_text_color(*MUTED)
    doc.cell(0, 6, t("app.title", lang), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("cjk", "B", 24)
    doc.set_text_color(*ACCENT)
    doc.cell(0, 12, t("board.pack_title", lang), new_x="LMARGIN", new_y="NEXT")
    doc.set_text_color(*INK)
    doc.set_font("cjk", "B", 16)
    title = f"{board.programme_name(lang)} · {formatting.period(board.period, lang)}"
    doc.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    lead, more = boards.cover_rows(board, lang)
    width = (A4_LANDSCAPE[0] - 2 * MARGIN - 3 * CARD_GAP) / 4
    top = doc.get_y()
    for i, row in enumerate(lead):
        _card(doc, row, MARGIN + i * (width + CARD_GAP), top, width, CARD_HEIGHT, 24)
    top += CARD_HEIGHT + CARD_GAP
    for i, row in enumerate(more):
        _card(doc, row, MARGIN + i * (width + CARD_GAP), top, width, SMALL_CARD_HEIGHT, 16)
    doc.set_xy(MARGIN, top + (SMALL_CARD_HEIGHT if more else -CARD_GAP) + 5)
    for sentence in boards.no_payments(board, lang):
        doc.paragraph(sentence, 10, color=MUTED)
    doc.paragraph(_as_of_note(board, lang), 10)
    if board.release.is_sample:
        doc.paragraph(t("notice.sample", lang), 10, color=(180, 60, 0))
    line = families_text(board.coverage.families(board.programme), lang, programme=board.programme)
    if line:  # what the programme does not do, in one line
        doc.paragraph(line, 10)
    doc.paragraph(t("board.cover_note", lang), 9, color=MUTED)
    doc.paragraph(doc.url, 8, color=MUTED)


def _card(doc: _Document, row: dict, x: float, y: float, width: float, height: float, size: int):
    """One figure: its name, this period's value large, then each comparison (the other
    period's value, and the change: % where there is one)."""
    board, lang = doc.board, doc.ui_lang
    pad = 4
    inner = width - 2 * pad
    doc.set_fill_color(*STRIPE)
    doc.rect(x, y, width, height, style="F")
    doc.set_fill_color(*ACCENT)
    doc.rect(x, y, width, 1.4, style="F")
    doc.set_fill_color(255, 255, 255)
    doc.set_xy(x + pad, y + 4)
    doc.set_font("cjk", "B", 11)
    doc.cell(inner, 6, _fit(doc, row["name"], inner))
    doc.set_font("cjk", "B", size)
    while size > 10 and doc.get_string_width(row["now"]) > inner:
        size -= 1
        doc.set_font("cjk", "B", size)
    doc.set_text_color(*ACCENT)
    doc.set_xy(x + pad, y + 11)
    doc.cell(inner, size * 0.45, row["now"])
    line_y = y + 13 + size * 0.45
    for key, then in boards.comparisons(board):
        side = "prior" if then == board.prior else "last"
        change = row[f"{side}_pct"] if row[f"{side}_pct"] != boards.DASH else row[f"{side}_change"]
        doc.set_xy(x + pad, line_y)
        doc.set_font("cjk", size=8.5)
        doc.set_text_color(*MUTED)
        doc.cell(inner, 4.5, _fit(doc, t(f"{key}_short", lang, period=formatting.period(then, lang)), inner))
        doc.set_xy(x + pad, line_y + 4.8)
        doc.set_font("cjk", "B", 10.5)
        doc.set_text_color(*INK)
        doc.cell(inner, 5.5, _fit(doc, row[side], inner * 0.62))
        doc.set_x(x + pad)
        doc.cell(inner, 5.5, change, align="R")
        line_y += 12.5
    doc.set_text_color(*INK)


def _headlines(doc: _Document):
    board, lang = doc.board, doc.ui_lang
    doc.add_page()
    doc.heading(t("board.headlines", lang))
    frame = boards.headline_frame(board, lang)
    # the page's whole width: an amount in CNY with its sign ("+CNY 5,984,341.51") on one line
    widths = (40, 37, 37, 37, 21, 37, 37, 21)[: len(frame.columns)]
    widths = tuple(w * doc.epw / sum(widths) for w in widths)
    doc.grid(list(frame.columns), frame.values.tolist(), widths, size=9)
    for sentence in boards.no_payments(board, lang):
        doc.paragraph(sentence, 9, color=MUTED)
    doc.add_page()  # the changes on a page of their own: two lists of five fit beside nothing else
    doc.heading(t("board.changes", lang))
    lists = boards.change_lists(board, lang)
    if not any(sentences for _, sentences in lists):
        doc.paragraph(t("board.no_changes", lang))
    for title, sentences in lists:
        if sentences:
            doc.ln(3)
            doc.heading(title, 13, outline=1)
            for sentence in sentences:
                doc.paragraph("• " + sentence, 12)


def _charts(doc: _Document):
    board, lang = doc.board, doc.ui_lang
    for i, item in enumerate(sections.board_charts(board, lang)):
        subtitle = sections.chart_subtitle(board, item, lang)
        info = chart_export.credits(title=item.title, lang=lang, release=board.release, url=doc.url, subtitle=subtitle)
        png = chart_export.png(item.chart, info, width=CHART_PX[0], height=CHART_PX[1])
        doc.add_page()
        if i == 0:
            doc.start_section(t("board.outline_charts", lang))
        doc.start_section(item.title, level=1)
        width = A4_LANDSCAPE[0] - 2 * MARGIN
        doc.image(io.BytesIO(png), x=MARGIN, y=MARGIN, w=width, h=width * CHART_PX[1] / CHART_PX[0])
        # the values behind the chart, as text (the PDF's text layer and screen readers)
        doc.set_y(MARGIN + width * CHART_PX[1] / CHART_PX[0] + 2)
        doc.paragraph(_chart_values(board, item, lang), 8, color=MUTED)


def _chart_values(board: boards.Board, item: sections.BoardChart, lang: str) -> str:
    """The values behind a chart, in its order: periods in time, stages in school order."""
    rows = item.view.to_dict("records")
    if item.dimension:
        order = {c: i for i, c in enumerate(vocabulary(item.dimension).codes)}
        rows.sort(key=lambda r: order.get(r[item.dimension], len(order)))
    parts = []
    for row in rows:
        dims = [(d, row[d]) for d in ("stage", "region") if isinstance(row.get(d), str)]
        label = board.subject(row["figure"], dims, lang)
        if item.dimension is None:
            label = f"{label} {formatting.period(row['period'], lang)}"
        parts.append(f"{label}: {board.text(row['figure'], row, lang)}")
    return t("board.chart_values", lang, values="; ".join(parts))


def _stages(doc: _Document):
    board, lang = doc.board, doc.ui_lang
    frame = sections.stage_frame(board, lang)
    if frame.empty:
        return
    doc.add_page()
    doc.heading(t("board.stage_table", lang))
    doc.paragraph(f"{board.programme_name(lang)} · {formatting.period(board.period, lang)}", 11, color=MUTED)
    widths = (40, 38, 40, 34, 40, 40, 37) if len(frame.columns) == 7 else (50, 40, 44, 40, 50, 45)
    doc.grid(list(frame.columns), frame.values.tolist(), widths, size=11)
    for note in sections.stage_notes(board, lang):
        doc.paragraph(note, 9, color=MUTED)


def _definitions(doc: _Document):
    lang = doc.ui_lang
    doc.add_page()
    doc.heading(t("board.definitions", lang))
    figures = [f for f in dict.fromkeys((*boards.HEADLINES, *boards.STAGE_FIGURES)) if doc.board.has(f)]
    rows = [[BY_KEY[f].name(lang), BY_KEY[f].definition(lang), t(f"unit.{BY_KEY[f].unit}", lang)] for f in figures]
    doc.set_font("cjk", size=10)
    heads = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=ACCENT)
    with doc.table(
        col_widths=(55, 180, 34),
        text_align=("LEFT", "LEFT", "LEFT"),
        line_height=5.6,
        headings_style=heads,
        cell_fill_color=STRIPE,
        cell_fill_mode="ROWS",
        borders_layout="HORIZONTAL_LINES",
        padding=1.4,
    ) as table:
        for row in [[t("col.figure", lang), t("col.definition", lang), t("col.unit", lang)], *rows]:
            line = table.row()
            for text in row:
                line.cell(text)


def _as_of_note(board: boards.Board, lang: str) -> str:
    """Data as of, release, when it was published and K: on the summary page and the notes."""
    release = board.release
    return t(
        "board.note_as_of",
        lang,
        as_of=formatting.date(release.as_of, lang),
        release=release.id,
        created=formatting.date(release.created_at.date(), lang),
        k=board.k,
    )


def _notes(doc: _Document):
    board, lang = doc.board, doc.ui_lang
    release, k = board.release, board.k
    doc.add_page()
    doc.heading(t("board.notes", lang))
    doc.paragraph(_as_of_note(board, lang), 11)
    reasons = sections.withheld_reasons(board, lang)
    if reasons:
        doc.paragraph(t("board.note_withheld", lang, n=sum(reasons.values())), 11)
        colon = t("punct.colon", lang)
        for (label, reason), count in sorted(reasons.items()):
            doc.paragraph(f"• “{label}”{colon}{formatting.reason(reason, lang, k)} ({count})", 10)
    else:
        doc.paragraph(t("board.note_no_withheld", lang), 11)
    doc.paragraph(t("board.note_differences", lang), 10)
    if release.note:
        doc.paragraph(f"{t('col.note', lang)}: {release.note}", 10)
    if release.is_sample:
        doc.paragraph(t("notice.sample", lang), 10, color=(180, 60, 0))
    doc.paragraph(t("about.citation", lang, release=release.id, as_of=formatting.date(release.as_of, lang)), 10)
    doc.paragraph(doc.url, 9, color=MUTED)
