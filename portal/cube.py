"""The cell grid: what a published cell is and how cells relate, said once.

A cell is one figure for one programme (or ``all`` programmes), one period of the fixed grid
(``portal.periods``) and one breakdown's codes (no code at all: the figure's total). Publish
computes the grid, suppression withholds inside it and the red team attacks it; all three take
from here:

- the cell key (``cell_key``: ``figure#programme#period#region|stage|…``, "" for no code);
- the headlines (``is_headline``): a figure's total with no breakdown, for a programme or all
  programmes, in any period; always published, exactly (privacy.md);
- every relation "total = Σ parts" (``parents``): a breakdown cell into the cell without that
  dimension (region × stage into region and into stage), a month into its quarter, a quarter
  into its year, a year into all time, a programme into all programmes; and which figures obey
  each (``adds_up``: sums and counts of rows do, distinct counts and derived figures do not,
  and a figure taken at the period's end does not add over periods);
- the relations between figures the registry implies: a distinct count filtered to a subset of
  the people of another (``subsets``), a ratio of two figures in one cell (``cell_ratios``), a
  difference and a ratio of the same two running totals (``running_pairs``).

No Streamlit, no database: frames and the registry (``portal.figures``) only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from portal import figures, periods
from portal.figures import Breakdown
from portal.vocab import DIMENSIONS

ALL_PROGRAMMES = "all"
# the dims part of a headline's key: every dimension empty
TOTAL_DIMS = "|" * (len(DIMENSIONS) - 1)
PERIOD = "period"
PROGRAMME = "programme"


def breakdown_relation(dimension: str) -> str:
    return f"breakdown:{dimension}"


# every relation kind, in the order suppression and the audit walk them
RELATIONS: tuple[str, ...] = (*(breakdown_relation(d) for d in DIMENSIONS), PERIOD, PROGRAMME)


@dataclass(frozen=True)
class Cell:
    """One cell of the grid; ``dims`` maps a dimension to its code (empty for a total)."""

    figure: str
    programme: str
    period: str
    dims: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        codes = dict(self.dims)
        return "#".join((self.figure, self.programme, self.period, "|".join(codes.get(d, "") for d in DIMENSIONS)))

    @property
    def headline(self) -> bool:
        return not self.dims

    def parent(self, relation: str) -> Cell | None:
        """The total this cell is a part of in ``relation`` (whether the figure adds up there
        or not: ``adds_up`` says); None where the cell is no part."""
        if relation == PROGRAMME:
            if self.programme == ALL_PROGRAMMES:
                return None
            return Cell(self.figure, ALL_PROGRAMMES, self.period, self.dims)
        if relation == PERIOD:
            up = periods.parent(self.period)
            return None if up is None else Cell(self.figure, self.programme, up, self.dims)
        dimension = relation.removeprefix("breakdown:")
        if dimension not in dict(self.dims):
            return None
        return Cell(self.figure, self.programme, self.period, tuple((d, c) for d, c in self.dims if d != dimension))


# ------------------------------------------------------------------------------ figures


def adds_up(figure: str, relation: str | None = None) -> bool:
    """Whether a figure's total is exactly the sum of its parts in ``relation`` (in every
    relation when None): sums and counts of rows add up; a distinct count (one child paid in
    two counties) and a derived figure do not; a figure taken at the period's end does not add
    up over periods."""
    f = figures.BY_KEY[figure]
    if not f.measure.additive:
        return False
    if relation is None or relation == PERIOD:
        return not f.to_date
    return True


def is_people_count(figure: str) -> bool:
    """A figure whose value is the people count that guards its cells (children served…)."""
    return figures.BY_KEY[figure].guarded_by == figure


def subsets() -> tuple[tuple[str, str], ...]:
    """(part, whole) figure pairs where the part counts a subset of the whole's people: the
    same distinct count of the same family, filtered (children paired within children in care)."""
    found = []
    for part in figures.FIGURES:
        m = part.measure
        if m.kind != "distinct" or not m.where:
            continue
        for whole in figures.figures_of(part.family):
            w = whole.measure
            if w.kind == "distinct" and w.column == m.column and not w.where and whole.to_date == part.to_date:
                found.append((part.key, whole.key))
    return tuple(found)


def cell_ratios() -> tuple[tuple[str, str, str, float], ...]:
    """(ratio, numerator, denominator, factor) of each ratio figure over one period's cell
    (average per child): published ratio = numerator ÷ denominator × factor, in published units."""
    out = []
    for f in figures.FIGURES:
        if f.ratio and not f.to_date:
            num, den = (figures.BY_KEY[k] for k in f.ratio)
            out.append((f.key, num.key, den.key, num.scale / (den.scale * f.scale)))
    return tuple(out)


@dataclass(frozen=True)
class RunningPair:
    """A difference a − b and a ratio b ÷ a of the same two running totals (balance and
    disbursement rate): together they give a and b to date, and two consecutive periods give a
    period's flows."""

    difference: str
    ratio: str
    a: str
    b: str


def running_pairs() -> tuple[RunningPair, ...]:
    out = []
    for d in figures.FIGURES:
        if d.measure.kind != "difference" or not d.to_date:
            continue
        a, b = d.inputs
        for r in figures.FIGURES:
            if r.to_date and r.ratio == (b, a):
                out.append(RunningPair(d.key, r.key, a, b))
    return tuple(out)


# ------------------------------------------------------------------------------ the grid


def breakdowns_of(family: str) -> list[Breakdown]:
    """Every breakdown a family's figures are published by, in declaration order."""
    seen: list[Breakdown] = []
    for figure in figures.figures_of(family):
        seen.extend(b for b in figure.breakdowns if b not in seen)
    return seen


def dims_of(family: str) -> list[str]:
    """Every dimension a family's cells are broken down by."""
    dims: list[str] = []
    for breakdown in breakdowns_of(family):
        dims.extend(d for d in breakdown if d not in dims)
    return dims


# ------------------------------------------------------------------------------ frames of cells


def _text(series: pd.Series) -> pd.Series:
    # Python strings (object dtype), not pandas' Arrow strings: keys are joined row by row
    # below, and each Arrow concatenation of a column was one compute call (dozens per publish)
    text = series.astype(object).where(series.notna(), "")
    return text if pd.api.types.is_string_dtype(series) or series.dtype == object else text.astype(str).astype(object)


def _join(dims: pd.DataFrame) -> pd.Series:
    columns = [dims[d].to_numpy(dtype=object) for d in DIMENSIONS]
    return pd.Series(["|".join(row) for row in zip(*columns, strict=True)], index=dims.index, dtype=object)


def dims_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The dimension columns as text, "" for no code."""
    return pd.DataFrame({d: _text(frame[d]) for d in DIMENSIONS}, index=frame.index)


def dims_key(frame: pd.DataFrame) -> pd.Series:
    """``region|stage|…`` of each cell, "" for a dimension it is not broken down by."""
    return _join(dims_text(frame))


def key(head: pd.Series, programme: pd.Series, period: pd.Series, dims: pd.Series) -> pd.Series:
    return head + "#" + programme.astype(str) + "#" + period.astype(str) + "#" + dims


def cell_key(frame: pd.DataFrame, head: pd.Series | None = None) -> pd.Series:
    """Each cell's key: ``figure#programme#period#dims`` (``head`` in place of the figure)."""
    head = frame["figure"].astype(str) if head is None else head
    return key(head, frame["programme"], frame["period"], dims_key(frame))


def is_headline(frame: pd.DataFrame) -> pd.Series:
    """Headline cells: a figure's total with no breakdown, for a programme or all programmes,
    in any period. Always published, exactly (privacy.md): no rule withholds one, and every
    check takes them as known."""
    return frame[list(DIMENSIONS)].isna().all(axis=1)


def parents(
    frame: pd.DataFrame, *, head: pd.Series | None = None, period_rows: pd.Series | None = None
) -> dict[str, np.ndarray]:
    """Every relation "total = Σ parts" among the rows of ``frame`` (programme, period and the
    dimension columns; ``head``: what else a row's key holds, e.g. its figure): for each
    relation kind with parts, the row index of each row's total in that relation, −1 where the
    row is no part or its total is not in the frame. Breakdown relations (in ``DIMENSIONS``
    order, only those with parts), then periods (restricted to ``period_rows`` where given: the
    rows whose figures add up over periods), then programmes."""
    n = len(frame)
    head = pd.Series("", index=frame.index) if head is None else head.astype(str)
    programme = frame["programme"].astype(str)
    period = frame["period"].astype(str)
    dims = dims_text(frame)
    joined = _join(dims)
    own = pd.Series(np.arange(n), index=key(head, programme, period, joined).to_numpy())
    own = own[~own.index.duplicated()]

    def lookup(rows: np.ndarray, keys: pd.Series) -> np.ndarray:
        parent = np.full(n, -1)
        parent[rows] = own.reindex(keys.to_numpy()).fillna(-1).to_numpy(dtype=int)
        return parent

    out: dict[str, np.ndarray] = {}
    for d in DIMENSIONS:
        rows = (dims[d] != "").to_numpy()
        if not rows.any():
            continue
        blanked = dims.loc[rows].copy()
        blanked[d] = ""
        out[breakdown_relation(d)] = lookup(rows, key(head[rows], programme[rows], period[rows], _join(blanked)))
    up = period.map({p: periods.parent(p) for p in period.unique()})
    rows = up.notna()
    if period_rows is not None:
        rows &= period_rows.to_numpy(dtype=bool)
    rows = rows.to_numpy(dtype=bool)
    out[PERIOD] = lookup(rows, key(head[rows], programme[rows], up[rows].astype(str), joined[rows]))
    rows = (programme != ALL_PROGRAMMES).to_numpy()
    everyone = pd.Series(ALL_PROGRAMMES, index=frame.index[rows])
    out[PROGRAMME] = lookup(rows, key(head[rows], everyone, period[rows], joined[rows]))
    return out
