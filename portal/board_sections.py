"""The board's sections after its headlines and changes (``portal.board``): the stages beside
their yearly standards, one chart a figure, and the projector's slides. The board page, the
board pack and the projector lay them out; no Streamlit here."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from portal import charts, formatting, periods
from portal.board import DASH, STAGE_FIGURES, Board, change_lists, cover_rows, headline_rows
from portal.coverage import Coverage
from portal.figures import BY_KEY
from portal.i18n import t
from portal.vocab import vocabulary

# ---------------------------------------------------------------- the stage table


def _standard_text(values: list[float], lang: str, per_year: int = 1) -> str:
    """One standard, or the range across the programmes shown together."""
    if not values:
        return DASH
    low, high = (formatting.money(v / per_year, lang) for v in (values[0], values[-1]))
    return low if low == high else f"{low}–{high}"


def comparable_standards(standards: pd.DataFrame, coverage: Coverage, programme: str) -> pd.DataFrame:
    """The standards an average per child may be set beside (the board, the pack, the stage
    page): a programme's own; for all programmes together, all of them only when every
    programme that pays out has standards (else the average mixes payments no standard speaks
    for, and nothing is compared)."""
    if programme != "all":
        return standards[standards["programme"] == programme]
    payers = {p for p in coverage.spans if coverage.has(p, "funds_disbursed")}
    return standards if payers <= set(standards["programme"]) else standards.iloc[0:0]


def stage_rows(board: Board, lang: str) -> list[dict]:
    """Per stage: children, funds and average of the period beside the standard. A year sits
    beside the yearly standard; a quarter beside a quarter's share of it (÷ 4), like with like."""
    stages: list[str] = []
    for figure in STAGE_FIGURES:
        view = charts.select(board.cells, figure, board.period, by=("stage",))
        stages += [s for s in view["stage"] if s not in stages]
    order = {c: i for i, c in enumerate(vocabulary("stage").codes)}
    per_year = periods.per_year(board.period)
    comparable = comparable_standards(board.standards, board.coverage, board.programme)
    rows = []
    for stage in sorted(stages, key=lambda s: order.get(s, len(order))):
        where = {"stage": stage}
        cells = {f: board.cell(f, board.period, where=where) for f in STAGE_FIGURES}
        values = charts.standard_values(board.standards, stage)
        average = board.value(cells["average_per_child"])
        share = DASH
        standard = charts.standard_values(comparable, stage)
        if len(standard) == 1 and average is not None:
            share = formatting.percent(average / (standard[0] / per_year), lang)
        rows.append(
            {
                "stage": stage,
                "label": vocabulary("stage").label(stage, lang),
                **{f: board.text(f, cells[f], lang, where=where) for f in STAGE_FIGURES},
                "cells": cells,
                "standard": _standard_text(values, lang),
                "period_standard": _standard_text(values, lang, per_year),
                "share": share,
                "range": len(values) > 1,
            }
        )
    return rows


def stage_keys(board: Board) -> tuple[str, ...]:
    """The stage table's columns: a quarter adds its share of the yearly standard."""
    if periods.per_year(board.period) == 1:
        return ("label", *STAGE_FIGURES, "standard", "share")
    return ("label", *STAGE_FIGURES, "standard", "period_standard", "share")


def stage_columns(board: Board, lang: str) -> list[str]:
    names = {
        "label": vocabulary("stage").name(lang),
        **{f: BY_KEY[f].name(lang) for f in STAGE_FIGURES},
        "standard": t("col.standard", lang),
        "period_standard": t("board.period_standard", lang, n=periods.per_year(board.period)),
        "share": t("board.share_of_standard" if periods.per_year(board.period) == 1 else "board.share_of_period", lang),
    }
    return [names[k] for k in stage_keys(board)]


def stage_frame(board: Board, lang: str) -> pd.DataFrame:
    keys = stage_keys(board)
    return pd.DataFrame([[r[k] for k in keys] for r in stage_rows(board, lang)], columns=stage_columns(board, lang))


def stage_notes(board: Board, lang: str) -> list[str]:
    """What the stage table's standard columns mean, where the reader needs telling."""
    notes = []
    if periods.per_year(board.period) != 1:
        notes.append(t("board.quarter_note", lang))
    if any(row["range"] for row in stage_rows(board, lang)):
        notes.append(t("board.standards_vary", lang))
    if comparable_standards(board.standards, board.coverage, board.programme).empty and not board.standards.empty:
        notes.append(t("board.standards_partial", lang))
    return notes


# ---------------------------------------------------------------- charts


@dataclass
class BoardChart:
    key: str
    title: str
    chart: object  # an Altair chart from portal.charts
    view: pd.DataFrame
    dimension: str | None = None  # the breakdown its table twin lists, None for periods


def board_charts(board: Board, lang: str) -> list[BoardChart]:
    """The board's charts, in the order the page and the pack show them."""
    k, out = board.k, []
    trend = board.trend_periods
    money = [f for f in ("funds_raised", "funds_disbursed") if board.has(f)]
    pair = pd.concat([charts.over_time(board.cells, f, trend) for f in money]) if money else pd.DataFrame()
    if not pair.empty:
        title = t("funds.raised_vs_disbursed", lang)
        out.append(BoardChart("raised_disbursed", title, charts.grouped(pair, lang, k, title=title), pair))
    for figure in ("balance", "disbursement_rate", "volunteer_hours"):
        view = charts.over_time(board.cells, figure, trend)
        if board.has(figure) and (view["status"] == "published").any():  # nothing but withheld says nothing
            words = "board.over_time" if BY_KEY[figure].to_date else "board.per_period"
            title = t(words, lang, figure=BY_KEY[figure].name(lang))
            out.append(BoardChart(figure, title, charts.trend(view, lang, k, title=title), view))
    served = charts.select(board.cells, "children_served", board.period, by=("stage",))
    if not served.empty:
        title = t("stage.children", lang)
        chart = charts.bar(served, "children_served", "stage", lang, k, title=title, names=board.names)
        out.append(BoardChart("stage_children", title, chart, served, "stage"))
    average = charts.select(board.cells, "average_per_child", board.period, by=("stage",))
    if not average.empty:
        per_year = periods.per_year(board.period)
        standards = comparable_standards(board.standards, board.coverage, board.programme)
        title = t("stage.average", lang) if per_year == 1 else t("board.average_share", lang, n=per_year)
        if standards.empty:
            title = t("board.average_only", lang)
        chart = charts.stage_average(average, standards, lang, k, title=title, per_year=per_year)
        out.append(BoardChart("stage_average", title, chart, average, "stage"))
    return out


def chart_subtitle(board: Board, item: BoardChart, lang: str) -> str:
    """Programme · period, or the span of periods a chart over time runs across."""
    span = formatting.period(board.period, lang)
    if item.dimension is None and not item.view.empty:
        shown = list(dict.fromkeys(item.view["period"]))
        span = f"{formatting.period(shown[0], lang)} – {formatting.period(shown[-1], lang)}"
    return f"{board.programme_name(lang)} · {span}"


# ---------------------------------------------------------------- notes


def table_cells(board: Board) -> list[dict]:
    """Every cell the board's two tables show: the headline table's columns (this period, the
    prior period, the same period last year) and the stage table."""
    shown = [c for row in headline_rows(board, "en") for c in row["cells"].values() if c is not None]
    shown += [c for row in stage_rows(board, "en") for c in row["cells"].values() if c is not None]
    return shown


def withheld_reasons(board: Board, lang: str) -> dict[tuple[str, str], int]:
    """(label a reader sees, reason) -> how many cells of the board's tables read so: "少于K人"
    for a small count of people, "未公开" for the rest; the pack's count is their sum."""
    counts: dict[tuple[str, str], int] = {}
    for cell in table_cells(board):
        if cell["status"] != "published":
            reason = cell["reason"] if isinstance(cell["reason"], str) else "primary"
            key = (formatting.withheld(board.k, lang, reason, cell["figure"]), reason)
            counts[key] = counts.get(key, 0) + 1
    return counts


# ---------------------------------------------------------------- slides


@dataclass(frozen=True)
class Slide:
    """One screen of the projector: ``kind`` figures | changes | chart | stages."""

    kind: str
    title: str
    payload: object = None


FIGURES_PER_SLIDE = 4


def slides(board: Board, lang: str) -> list[Slide]:
    """The projector's screens, in the pack's order: the cover's four figures, the other
    headline figures four at a time, each list of changes, each chart, the stage table."""
    lead, more = cover_rows(board, lang)
    shown = {row["figure"] for row in (*lead, *more)}
    rest = more + [row for row in headline_rows(board, lang) if row["figure"] not in shown]
    out = [Slide("figures", t("board.headlines", lang), lead)] if lead else []
    for i in range(0, len(rest), FIGURES_PER_SLIDE):
        out.append(Slide("figures", t("board.headlines", lang), rest[i : i + FIGURES_PER_SLIDE]))
    for title, sentences in change_lists(board, lang):
        out.append(Slide("changes", f"{t('board.changes', lang)} · {title}", sentences))
    out += [Slide("chart", item.title, item) for item in board_charts(board, lang)]
    if not stage_frame(board, lang).empty:
        out.append(Slide("stages", t("board.stage_table", lang)))
    return out


def board_url(board: Board, lang: str, base: str) -> str:
    from urllib.parse import urlencode

    ptype = periods.period_type(board.period)
    query = {"lang": lang, "programme": board.programme, "ptype": ptype, "period": board.period}
    return f"{base.rstrip('/')}/board?{urlencode(query)}"
