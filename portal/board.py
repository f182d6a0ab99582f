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
from portal.coverage import Coverage, ProgrammeView
from portal.figures import BY_KEY
from portal.i18n import t

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
class Board(ProgrammeView):
    release: queries.ReleaseInfo
    programme: str
    period: str
    prior: str | None
    last_year: str | None
    cells: pd.DataFrame
    names: dict
    standards: pd.DataFrame
    coverage: Coverage  # what each programme has reported
    trend_periods: list[str] = field(default_factory=list)

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
    return Board(
        release=release,
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
