"""The board pack: a PDF of ``portal.board`` for one quarter or year (cover, headline figures
against the prior period and the same period last year, the biggest changes, one chart per
page, the stage table against the yearly standards, definitions, as-of and withheld notes).

Built with fpdf2, Chinese drawn with the system's Noto Sans CJK SC (``portal.fonts``, embedded
as a subset so ``pdftotext`` reads it back); charts are ``portal.charts``' Altair specs rendered
by vl-convert through ``portal.chart_export``. No Streamlit here."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.fonts import FontFace

from portal import board as boards
from portal import chart_export, fonts, formatting, periods
from portal.coverage import families_text
from portal.figures import BY_KEY
from portal.i18n import t

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
    def __init__(self, board: boards.Board, lang: str, url: str):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.board, self.ui_lang, self.url = board, lang, url
        regular, bold = fonts.face(), fonts.face(bold=True)
        self.add_font("cjk", "", str(regular.path), collection_font_number=regular.index)
        self.add_font("cjk", "B", str(bold.path), collection_font_number=bold.index)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 6)
        self.set_font("cjk", size=10)
        self.set_text_color(*INK)
        self.set_lang("zh-CN" if lang == "zh" else "en-GB")  # FPDF keeps its own .lang
        self.set_title(t("board.pack_title", lang))
        self.set_subject(f"{board.programme_name(lang)} · {formatting.period(board.period, lang)}")
        self.set_creator(t("app.title", lang))
        self.set_creation_date(dt.datetime.combine(board.release["as_of"], dt.time(), tzinfo=dt.UTC))

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
            release=board.release["id"],
            as_of=formatting.date(board.release["as_of"], lang),
        )
        self.cell(0, 5, left, align="L")
        self.set_x(MARGIN)
        self.cell(0, 5, t("board.page", lang, page=self.page_no(), pages="{nb}"), align="R")
        self.set_text_color(*INK)

    # ------------------------------------------------------------ blocks

    def heading(self, text: str, size: int = 18):
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


def build(board: boards.Board, lang: str, *, base_url: str = "") -> Pack:
    """The PDF of ``board`` in ``lang``; its page count beside it."""
    from portal import lookup

    base = base_url or lookup.DEFAULT_BASE_URL
    url = boards.board_url(board, lang, base)
    doc = _Document(board, lang, url)
    _cover(doc)
    _headlines(doc)
    _charts(doc)
    _stages(doc)
    _definitions(doc)
    _notes(doc)
    data = bytes(doc.output())
    return Pack(pdf=data, pages=doc.pages_count)


def _cover(doc: _Document):
    board, lang = doc.board, doc.ui_lang
    doc.add_page()
    doc.set_y(42)
    doc.set_font("cjk", size=14)
    doc.set_text_color(*MUTED)
    doc.cell(0, 8, t("app.title", lang), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("cjk", "B", 34)
    doc.set_text_color(*ACCENT)
    doc.cell(0, 18, t("board.pack_title", lang), new_x="LMARGIN", new_y="NEXT")
    doc.set_text_color(*INK)
    doc.set_font("cjk", "B", 20)
    doc.cell(0, 12, board.programme_name(lang), new_x="LMARGIN", new_y="NEXT")
    doc.cell(0, 12, formatting.period(board.period, lang), new_x="LMARGIN", new_y="NEXT")
    doc.ln(8)
    release = board.release
    doc.paragraph(
        t(
            "board.note_as_of",
            lang,
            as_of=formatting.date(release["as_of"], lang),
            release=release["id"],
            created=formatting.date(release["created_at"].date(), lang),
            k=release["k"],
        ),
        12,
    )
    if release["is_sample"]:
        doc.paragraph(t("notice.sample", lang), 12, color=(180, 60, 0))
    line = families_text(board.coverage.families(board.programme), lang, programme=board.programme)
    if line:  # what the programme does not do, in one line
        doc.paragraph(line, 12)
    doc.paragraph(t("board.cover_note", lang), 11, color=MUTED)
    doc.paragraph(doc.url, 9, color=MUTED)


def _headlines(doc: _Document):
    board, lang = doc.board, doc.ui_lang
    doc.add_page()
    doc.heading(t("board.headlines", lang))
    frame = boards.headline_frame(board, lang)
    widths = (52, 30, 30, 30, 22, 30, 30, 22)[: len(frame.columns)]
    doc.grid(list(frame.columns), frame.values.tolist(), widths, size=10)
    doc.heading(t("board.changes", lang), 14)
    found = boards.changes(board)
    if not found:
        doc.paragraph(t("board.no_changes", lang))
    for change in found:
        doc.paragraph("• " + boards.change_sentence(board, change, lang), 11)


def _charts(doc: _Document):
    board, lang = doc.board, doc.ui_lang
    for item in boards.board_charts(board, lang):
        subtitle = boards.chart_subtitle(board, item, lang)
        info = chart_export.credits(title=item.title, lang=lang, release=board.release, url=doc.url, subtitle=subtitle)
        png = chart_export.png(item.chart, info, width=CHART_PX[0], height=CHART_PX[1])
        doc.add_page()
        width = A4_LANDSCAPE[0] - 2 * MARGIN
        doc.image(io.BytesIO(png), x=MARGIN, y=MARGIN, w=width, h=width * CHART_PX[1] / CHART_PX[0])
        # the values behind the chart, as text (the PDF's text layer and screen readers)
        doc.set_y(MARGIN + width * CHART_PX[1] / CHART_PX[0] + 2)
        doc.paragraph(_chart_values(board, item, lang), 8, color=MUTED)


def _chart_values(board: boards.Board, item: boards.BoardChart, lang: str) -> str:
    parts = []
    for row in item.view.to_dict("records"):
        dims = [(d, row[d]) for d in ("stage", "region") if isinstance(row.get(d), str)]
        label = board.subject(row["figure"], dims, lang)
        if item.key in ("raised_disbursed", "balance", "disbursement_rate"):
            label = f"{label} {periods.ALL if row['period'] == periods.ALL else row['period']}"
        parts.append(f"{label}: {board.text(row['figure'], row, lang)}")
    return t("board.chart_values", lang, values="; ".join(parts))


def _stages(doc: _Document):
    board, lang = doc.board, doc.ui_lang
    frame = boards.stage_frame(board, lang)
    if frame.empty:
        return
    doc.add_page()
    doc.heading(t("board.stage_table", lang))
    doc.paragraph(f"{board.programme_name(lang)} · {formatting.period(board.period, lang)}", 11, color=MUTED)
    doc.grid(list(frame.columns), frame.values.tolist(), (50, 40, 44, 40, 50, 45), size=11)
    if periods.period_type(board.period) != "year":
        doc.paragraph(t("board.quarter_note", lang), 9, color=MUTED)
    if board.programme == "all":
        doc.paragraph(t("board.standards_vary", lang), 9, color=MUTED)


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


def _notes(doc: _Document):
    board, lang = doc.board, doc.ui_lang
    release, k = board.release, board.k
    doc.add_page()
    doc.heading(t("board.notes", lang))
    doc.paragraph(
        t(
            "board.note_as_of",
            lang,
            as_of=formatting.date(release["as_of"], lang),
            release=release["id"],
            created=formatting.date(release["created_at"].date(), lang),
            k=k,
        ),
        11,
    )
    reasons = boards.withheld_reasons(board, lang)
    if reasons:
        doc.paragraph(t("board.note_withheld", lang, n=sum(reasons.values())), 11)
        colon = "：" if lang == "zh" else ": "
        for (label, reason), count in sorted(reasons.items()):
            doc.paragraph(f"• “{label}”{colon}{formatting.reason(reason, lang, k)} ({count})", 10)
    else:
        doc.paragraph(t("board.note_no_withheld", lang), 11)
    doc.paragraph(t("board.note_differences", lang), 10)
    if release.get("note"):
        doc.paragraph(f"{t('col.note', lang)}: {release['note']}", 10)
    if release["is_sample"]:
        doc.paragraph(t("notice.sample", lang), 10, color=(180, 60, 0))
    doc.paragraph(t("about.citation", lang, release=release["id"], as_of=formatting.date(release["as_of"], lang)), 10)
    doc.paragraph(doc.url, 9, color=MUTED)
