"""理事会 / Board: a quarter or a year of one programme (or all) against the prior period and
the same period last year, balance and disbursement rate over time, the stage table against
the yearly standards and the biggest changes in words. The board page and the board pack PDF
both lay out what this module computes; no Streamlit here.

Every number is a published cell read from the store and formatted by ``portal.formatting``
after rounding to the figure's decimals, as ``portal figures`` prints it; a difference is only
taken between two published cells, never with a withheld one."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.engine import Engine

from portal import charts, formatting, periods, queries
from portal.coverage import Coverage
from portal.figures import BY_KEY
from portal.i18n import t
from portal.vocab import vocabulary

HEADLINES: tuple[str, ...] = (
    "funds_raised",
    "donations",
    "funds_disbursed",
    "balance",
    "disbursement_rate",
    "children_served",
    "child_times",
    "children_in_care",
    "average_per_child",
    "volunteers_active",
    "volunteer_hours",
    "home_visits",
)
# the four figures a pack's cover and the projector's first slide lead with: the mission's four
# where the programme has them, then the next it has (a volunteer-only plan has no money)
# where the programme has them, then the next it has (a volunteer-only plan has no money); a
# second row carries the ledger and the people behind the hours
COVER: tuple[str, ...] = ("funds_raised", "funds_disbursed", "children_served", "volunteer_hours")
COVER_MORE: tuple[str, ...] = (
    "balance",
    "disbursement_rate",
    "volunteers_active",
    "children_in_care",
    "donations",
    "home_visits",
)
STAGE_FIGURES: tuple[str, ...] = ("children_served", "funds_disbursed", "average_per_child")
# the breakdowns whose parts may be named among the biggest changes
CHANGE_BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "funds_disbursed": ("stage", "region"),
    "children_served": ("stage", "region"),
    "volunteer_hours": ("region",),
}
TREND_QUARTERS = 8
BOARD_PERIOD_TYPES = ("quarter", "year")
MAX_CHANGES = 5
MAX_PER_FIGURE = 2
DASH = "—"


class BoardError(ValueError):
    """A board of a period or programme the release cannot give; ``code`` names the message."""

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.code = code
        self.values = values


def rounded(figure: str, value):
    """A published value as ``portal figures`` prints it (rounded to the figure's decimals)."""
    if value is None or pd.isna(value):
        return None
    return round(float(value), BY_KEY[figure].decimals)


@dataclass
class Change:
    figure: str
    dims: tuple[tuple[str, str], ...]
    then_period: str
    before: float
    after: float

    @property
    def diff(self) -> float:
        return self.after - self.before

    @property
    def ratio(self) -> float | None:
        return None if self.before == 0 else self.diff / abs(self.before)


@dataclass
class Board:
    release: dict
    programme: str
    period: str
    prior: str | None
    last_year: str | None
    cells: pd.DataFrame
    names: dict
    standards: pd.DataFrame
    coverage: Coverage  # what each programme has reported
    trend_periods: list[str] = field(default_factory=list)

    @property
    def k(self) -> int:
        return self.release["k"]

    def has(self, figure: str) -> bool:
        """Whether the programme has this figure at all (a volunteer-only plan raises nothing)."""
        return self.coverage.has(self.programme, figure)

    def comparable(self, then: str | None) -> bool:
        """``then`` and the board's period compare like with like (the same programmes reported)."""
        return self.coverage.comparable(self.programme, self.period, then)

    @property
    def compares_last_year(self) -> bool:
        """A year's prior period is the same period last year: one comparison, not two."""
        return self.last_year is not None and self.last_year != self.prior

    # ------------------------------------------------------------ one cell

    def cell(self, figure: str, period: str | None, where: dict | None = None) -> dict | None:
        if period is None:
            return None
        view = charts.select(self.cells, figure, period, where=where)
        return None if view.empty else view.iloc[0].to_dict()

    def value(self, cell: dict | None) -> float | None:
        if cell is None or cell["status"] != "published":
            return None
        return rounded(cell["figure"], cell["value"])

    def text(self, figure: str, cell: dict | None, lang: str, period: str | None = None, where=None) -> str:
        if cell is None:
            return self.absent(figure, period or self.period, lang, where)
        return formatting.cell(figure, self.value(cell), cell["status"], lang, self.k, reason=cell.get("reason"))

    def absent(self, figure: str, period: str | None, lang: str, where: dict | None = None) -> str:
        """Words for a cell that does not exist: a ratio over zero ("no child paid in this
        period"), a period not reported; a dash only for a period outside the grid."""
        if period is None:
            return DASH
        ratio = BY_KEY[figure].ratio
        return formatting.absent(
            figure, lang, denominator=bool(ratio) and self.cell(ratio[1], period, where) is not None
        )

    # ------------------------------------------------------------ words around it

    def programme_name(self, lang: str) -> str:
        return charts.label("programme", self.programme, lang, self.names)

    def label(self, dimension: str, code: str, lang: str) -> str:
        return charts.label(dimension, code, lang, self.names)

    def subject(self, figure: str, dims, lang: str) -> str:
        parts = [BY_KEY[figure].name(lang), *(self.label(d, c, lang) for d, c in dims)]
        return " · ".join(parts)


def choose_period(period: str, available: list[str], *, coverage: Coverage, programme: str) -> str:
    """The board's period for a view of ``period`` (``available``: the programme's periods):
    a quarter or year as chosen; a month's own quarter; else the latest quarter (a year where
    there are none) that every programme of the view has reported for."""
    if periods.period_type(period) in BOARD_PERIOD_TYPES:
        return period
    of_type = {kind: [p for p in available if periods.period_type(p) == kind] for kind in BOARD_PERIOD_TYPES}
    quarters = of_type["quarter"] or of_type["year"]
    holding = [q for q in quarters if period in periods.children_of(q)]
    if holding:
        return holding[0]
    if not quarters:
        return period
    return coverage.default_period(programme, periods.period_type(quarters[-1]), available)


def build(engine: Engine, *, period: str, programme: str = "all", release_id: str | None = None) -> Board:
    """The board of ``programme`` in ``period`` (a quarter or a year) from the published store."""
    release = queries.release(engine=engine, release_id=release_id) if release_id else None
    if release_id and release is None:
        raise BoardError("unknown_release", release=release_id)
    release = release or queries.current_release(engine=engine)
    if release is None:
        raise BoardError("no_release")
    if periods.period_type(period) not in BOARD_PERIOD_TYPES:
        raise BoardError("bad_period", period=period)
    all_periods = queries.periods(engine=engine, release_id=release.id)
    if period not in all_periods:
        raise BoardError("unknown_period", period=period)
    labels = queries.labels(engine=engine, release_id=release.id)
    names = {(r.dimension, r.code): (r.name_zh, r.name_en) for r in labels.itertuples()}
    if programme != "all" and ("programme", programme) not in names:
        raise BoardError("unknown_programme", programme=programme)
    coverage = queries.programme_coverage(engine=engine, release_id=release.id, as_of=release.as_of)
    if programme != "all" and programme not in coverage.spans:
        raise BoardError("unknown_programme", programme=programme)
    if not coverage.in_range(programme, period):  # a pack of "not yet reported" helps nobody
        first, last = coverage.first_day(programme), coverage.last_day(programme)
        raise BoardError("outside_programme", programme=programme, period=period, first=first, last=last)
    kind = periods.period_type(period)
    of_type = [p for p in coverage.periods(programme, all_periods) if periods.period_type(p) == kind and p <= period]
    trend = coverage.trend(programme, of_type[-TREND_QUARTERS:] if kind == "quarter" else of_type)
    prior, last_year = periods.previous(period), periods.same_period_last_year(period)
    wanted = sorted({period, *trend, *(p for p in (prior, last_year) if p in all_periods)})
    cells = queries.cells(engine=engine, release_id=release.id, programme=programme, periods=wanted)
    standards = queries.standards(engine=engine, release_id=release.id)
    if programme != "all":
        standards = standards[standards["programme"] == programme]
    info = {
        "id": release.id,
        "as_of": release.as_of,
        "k": release.k,
        "is_sample": bool(release.is_sample),
        "created_at": release.created_at,
        "note": release.note,
    }
    return Board(
        release=info,
        programme=programme,
        period=period,
        prior=prior if prior in all_periods else None,
        last_year=last_year if last_year in all_periods else None,
        cells=cells,
        names=names,
        standards=standards,
        trend_periods=trend,
        coverage=coverage,
    )


# ---------------------------------------------------------------- differences


def difference(figure: str, before: float | None, after: float | None, lang: str) -> tuple[str, str]:
    """(change, % change) between two published values; a rate changes in percentage points
    and has no % change. Dashes when either side is missing or withheld."""
    if before is None or after is None:
        return DASH, DASH
    diff = after - before
    sign = "+" if diff > 0 else "-" if diff < 0 else "±"
    if BY_KEY[figure].unit == "fraction":
        points = formatting.number(abs(diff) * 100, lang, 1)
        return sign + t("board.pp", lang, value=points), DASH
    change = sign + formatting.value(figure, abs(diff), lang)
    if before == 0:
        return change, DASH
    return change, sign + formatting.percent(abs(diff) / abs(before), lang)


def headline_rows(board: Board, lang: str) -> list[dict]:
    """One row per headline figure: now, prior, change, %, same period last year, change, %.
    ``cells`` keeps the cells the row shows (None where a column has no cell)."""
    rows = []
    for figure in HEADLINES:
        if not board.has(figure):
            continue  # the programme has no such figure: said once in words, not a row of dashes
        now = board.cell(figure, board.period)
        prior = board.cell(figure, board.prior) if board.comparable(board.prior) else None
        last = board.cell(figure, board.last_year) if board.comparable(board.last_year) else None
        d_prior = difference(figure, board.value(prior), board.value(now), lang)
        d_last = difference(figure, board.value(last), board.value(now), lang)
        rows.append(
            {
                "figure": figure,
                "name": BY_KEY[figure].name(lang),
                "now": board.text(figure, now, lang),
                "prior": board.text(figure, prior, lang, board.prior),
                "prior_change": d_prior[0],
                "prior_pct": d_prior[1],
                "last": board.text(figure, last, lang, board.last_year),
                "last_change": d_last[0],
                "last_pct": d_last[1],
                "status": now["status"] if now else "published",
                "reason": now["reason"] if now else None,
                "cells": {"now": now, "prior": prior, "last": last if board.compares_last_year else None},
            }
        )
    return rows


def cover_rows(board: Board, lang: str) -> tuple[list[dict], list[dict]]:
    """The headline rows the cover shows: the (up to) four it leads with, and four more."""
    rows = {row["figure"]: row for row in headline_rows(board, lang)}
    lead = [rows[f] for f in COVER if f in rows]
    more = [rows[f] for f in COVER_MORE if f in rows]
    lead += more[: 4 - len(lead)]
    return lead, [r for r in more if r["figure"] not in {x["figure"] for x in lead}][:4]


def no_payments(board: Board, lang: str) -> list[str]:
    """A sentence for each period of the headline table in which nothing was paid out, so a
    0 children served (and an average with nothing to divide) reads in words."""
    if not board.has("children_served"):
        return []
    shown = [board.period, board.prior if board.comparable(board.prior) else None]
    if board.compares_last_year and board.comparable(board.last_year):
        shown.append(board.last_year)
    out = []
    for period in dict.fromkeys(p for p in shown if p):
        if board.value(board.cell("children_served", period)) == 0:
            out.append(t("board.no_payments", lang, period=formatting.period(period, lang)))
    return out


def headline_columns(board: Board, lang: str) -> list[str]:
    columns = [
        t("col.figure", lang),
        formatting.period(board.period, lang),
        formatting.period(board.prior, lang) if board.prior else t("board.prior", lang),
        t("board.change_prior", lang),
        t("board.pct_prior", lang),
        formatting.period(board.last_year, lang) if board.last_year else t("board.last_year", lang),
        t("board.change_last_year", lang),
        t("board.pct_last_year", lang),
    ]
    return columns if board.compares_last_year else columns[:5]


def headline_frame(board: Board, lang: str) -> pd.DataFrame:
    keys = ("name", "now", "prior", "prior_change", "prior_pct", "last", "last_change", "last_pct")
    if not board.compares_last_year:
        keys = keys[:5]
    rows = [[row[k] for k in keys] for row in headline_rows(board, lang)]
    return pd.DataFrame(rows, columns=headline_columns(board, lang))


def comparisons(board: Board) -> list[tuple[str, str]]:
    """(message key of its title, period) of each comparison the board states: the prior
    period, and for a quarter the same quarter last year; only periods like the board's own."""
    out = []
    if board.prior and board.comparable(board.prior):
        kind = "board.since_prior_year" if periods.period_type(board.period) == "year" else "board.since_prior"
        out.append((kind, board.prior))
    if board.compares_last_year and board.comparable(board.last_year):
        out.append(("board.since_last_year", board.last_year))
    return out


def changes(board: Board, then: str) -> list[Change]:
    """The biggest relative changes since ``then`` among the headline totals and the parts of
    a few breakdowns; both sides published, at most two per figure."""
    found: list[Change] = []
    for figure in HEADLINES:
        views = [((), None)] + [((d,), d) for d in CHANGE_BREAKDOWNS.get(figure, ())]
        for by, dim in views:
            now = charts.select(board.cells, figure, board.period, by=by)
            before = charts.select(board.cells, figure, then, by=by)
            if now.empty or before.empty:
                continue
            old = {(r[dim] if dim else None): r for r in before.to_dict("records")}
            for row in now.to_dict("records"):
                prev = old.get(row[dim] if dim else None)
                a, b = board.value(row), board.value(prev) if prev else None
                if a is None or b is None or a == b or b == 0:
                    continue
                found.append(Change(figure, ((dim, row[dim]),) if dim else (), then, b, a))
    ranked = sorted(found, key=lambda c: (abs(c.ratio), not c.dims), reverse=True)
    out: list[Change] = []
    for change in ranked:  # at most two per figure, so one busy breakdown does not fill the list
        if sum(c.figure == change.figure for c in out) < MAX_PER_FIGURE:
            out.append(change)
    return out[:MAX_CHANGES]


def change_lists(board: Board, lang: str) -> list[tuple[str, list[str]]]:
    """(title, sentences) for each comparison: changes since the prior period, and since the
    same period last year, as two labelled lists."""
    return [
        (
            t(key, lang, period=formatting.period(then, lang)),
            [change_sentence(board, c, lang) for c in changes(board, then)],
        )
        for key, then in comparisons(board)
    ]


def change_sentence(board: Board, change: Change, lang: str) -> str:
    fig = change.figure
    up = change.diff > 0
    values = {
        "subject": board.subject(fig, change.dims, lang),
        "then": formatting.period(change.then_period, lang),
        "before": formatting.value(fig, change.before, lang),
        "after": formatting.value(fig, change.after, lang),
    }
    if BY_KEY[fig].unit == "fraction":
        points = formatting.number(abs(change.diff) * 100, lang, 1)
        return t("board.change_pp_up" if up else "board.change_pp_down", lang, diff=points, **values)
    pct = formatting.percent(abs(change.ratio), lang)
    return t("board.change_up" if up else "board.change_down", lang, pct=pct, **values)


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
