"""The cube (portal/cube.py) against brute force on random data: every relation it declares is
the one its definition gives (a part's total found by dates and codes, not by key formulas),
the cells compute_cube makes are what the figure's declared measure gives over the rows, and
every "total = Σ parts" relation the cube says a figure obeys holds exactly in those cells."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from portal import compute, cube, figures, periods
from portal.vocab import DIMENSIONS

FIRST, LAST = dt.date(2022, 11, 1), dt.date(2023, 4, 30)
PROGRAMMES = ["P1", "P2"]
CODES = ["a", "b", "c"]


# ------------------------------------------------------------------ relations, by definition


def _oracle_parent(cell: dict, relation: str, frame_cells: dict) -> int:
    """The row of ``cell``'s total in ``relation``, found the long way: a breakdown's total
    drops that one code; a period's total is the shortest other period of the grid covering
    it by dates (all time covers every year); a programme's is all programmes."""
    target = dict(cell)
    if relation == cube.PROGRAMME:
        if cell["programme"] == cube.ALL_PROGRAMMES:
            return -1
        target["programme"] = cube.ALL_PROGRAMMES
    elif relation == cube.PERIOD:
        here = periods.parse(cell["period"])
        if here is None:
            return -1
        candidates = [
            p
            for p in (periods.parse(k) for k in frame_cells["periods"])
            if p is not None and p.key != here.key and p.start <= here.start and here.end <= p.end
        ]
        width = {"month": 0, "quarter": 1, "year": 2}
        wider = [p for p in candidates if width[p.type] == width[here.type] + 1]
        if here.type == "year":
            target["period"] = periods.ALL
        elif wider:
            target["period"] = wider[0].key
        else:
            return -1
    else:
        dimension = relation.removeprefix("breakdown:")
        if not cell[dimension]:
            return -1
        target[dimension] = ""
    return frame_cells["index"].get(tuple(target[c] for c in ("programme", "period", *DIMENSIONS)), -1)


_period_keys = [periods.ALL] + [p.key for p in periods.grid(dt.date(2022, 1, 1), dt.date(2023, 12, 31))]
_cells = st.lists(
    st.fixed_dictionaries(
        {
            "programme": st.sampled_from([*PROGRAMMES, cube.ALL_PROGRAMMES]),
            "period": st.sampled_from(_period_keys),
            **{d: st.sampled_from(["", "", *CODES[:2]]) for d in DIMENSIONS[:3]},
        }
    ),
    max_size=60,
)


@given(_cells)
@settings(max_examples=300, deadline=None)
def test_parents_are_the_totals_by_definition(rows):
    frame = pd.DataFrame(rows, columns=["programme", "period", *DIMENSIONS[:3]])
    for d in DIMENSIONS[3:]:
        frame[d] = None
    frame = frame.drop_duplicates(["programme", "period", *DIMENSIONS]).reset_index(drop=True)
    frame[list(DIMENSIONS[:3])] = frame[list(DIMENSIONS[:3])].replace("", None)
    text = frame.fillna("")
    known = {
        "periods": set(frame["period"]) | {p for p in _period_keys},
        "index": {
            tuple(r): i for i, r in enumerate(text[["programme", "period", *DIMENSIONS]].itertuples(index=False))
        },
    }
    found = cube.parents(frame)
    for relation in cube.RELATIONS:
        expected = np.array([_oracle_parent(dict(r), relation, known) for r in text.to_dict("records")], dtype=int)
        got = found.get(relation, np.full(len(frame), -1))
        assert (got == expected).all(), relation
        # the Cell value says the same, one cell at a time
        records = text.to_dict("records")
        for r, at in zip(records, expected, strict=True):
            up = _cell(r).parent(relation)
            if at >= 0:
                assert up is not None and up.key == _cell(records[at]).key, relation
            elif up is not None:  # a total by definition, but not among the rows
                assert up.key not in {_cell(other).key for other in records}, relation


def _cell(r: dict) -> cube.Cell:
    return cube.Cell("f", r["programme"], r["period"], tuple((d, r[d]) for d in DIMENSIONS if r[d]))


def test_registry_relations_are_what_the_measures_say():
    for f in figures.FIGURES:
        for relation in cube.RELATIONS:
            assert cube.adds_up(f.key, relation) == (
                f.measure.kind in ("sum", "count") and not (relation == cube.PERIOD and f.to_date)
            )
    for part, whole in cube.subsets():
        p, w = figures.BY_KEY[part].measure, figures.BY_KEY[whole].measure
        assert p.kind == w.kind == "distinct" and p.column == w.column and p.where and not w.where
    for ratio, numerator, denominator, _ in cube.cell_ratios():
        assert figures.BY_KEY[ratio].inputs == (numerator, denominator)
    for pair in cube.running_pairs():
        assert figures.BY_KEY[pair.difference].inputs == (pair.a, pair.b)
        assert figures.BY_KEY[pair.ratio].inputs == (pair.b, pair.a)


# ------------------------------------------------------------------ the computed cube


def _days(draw, n):
    span = (LAST - FIRST).days
    return [FIRST + dt.timedelta(days=draw(st.integers(0, span))) for _ in range(n)]


@st.composite
def _facts(draw) -> dict[str, pd.DataFrame]:
    n = {family: draw(st.integers(1, 25)) for family in figures.DATA_FAMILIES}
    code = lambda: draw(st.sampled_from(CODES))  # noqa: E731
    prog = lambda: draw(st.sampled_from(PROGRAMMES))  # noqa: E731
    person = lambda: draw(st.integers(1, 12))  # noqa: E731
    donations = pd.DataFrame(
        {
            "programme": [prog() for _ in range(n["donations"])],
            "day": _days(draw, n["donations"]),
            "amount_fen": [draw(st.integers(1, 10**6)) for _ in range(n["donations"])],
            "is_refund": [draw(st.booleans()) for _ in range(n["donations"])],
            "channel": [code() for _ in range(n["donations"])],
            "donor_type": [code() for _ in range(n["donations"])],
            "donor_id": [draw(st.one_of(st.none(), st.integers(1, 12))) for _ in range(n["donations"])],
        }
    )
    donations.loc[donations["is_refund"], "amount_fen"] *= -1
    disbursements = pd.DataFrame(
        {
            "programme": [prog() for _ in range(n["disbursements"])],
            "day": _days(draw, n["disbursements"]),
            "amount_fen": [draw(st.integers(1, 10**6)) for _ in range(n["disbursements"])],
            "child_id": [person() for _ in range(n["disbursements"])],
            "stage": [code() for _ in range(n["disbursements"])],
            "purpose": [code() for _ in range(n["disbursements"])],
            "region": [code() for _ in range(n["disbursements"])],
            "category": [code() for _ in range(n["disbursements"])],
        }
    )
    service = pd.DataFrame(
        {
            "programme": [prog() for _ in range(n["service"])],
            "day": _days(draw, n["service"]),
            "seconds": [draw(st.integers(1, 36_000)) for _ in range(n["service"])],
            "volunteer_id": [person() for _ in range(n["service"])],
            "volunteer_type": [code() for _ in range(n["service"])],
            "region": [code() for _ in range(n["service"])],
            "activity": [draw(st.sampled_from(["home_visit", "tutoring"])) for _ in range(n["service"])],
            "child_id": [draw(st.one_of(st.none(), st.integers(1, 12))) for _ in range(n["service"])],
        }
    )
    enrolled = _days(draw, n["register"])
    register = pd.DataFrame(
        {
            "programme": [prog() for _ in range(n["register"])],
            "child_id": list(range(1, n["register"] + 1)),
            "region": [code() for _ in range(n["register"])],
            "category": [code() for _ in range(n["register"])],
            "enrolled_on": enrolled,
            "exited_on": [
                draw(st.one_of(st.none(), st.integers(1, 200).map(lambda d, e=e: e + dt.timedelta(days=d))))
                for e in enrolled
            ],
            "paired": [draw(st.booleans()) for _ in range(n["register"])],
        }
    )
    return {"donations": donations, "disbursements": disbursements, "service": service, "register": register}


def _arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame.astype({c: "Int64" for c in frame if c.endswith("_id")}), preserve_index=False)


def _filtered(frame: pd.DataFrame, where: str | None) -> pd.DataFrame:
    """The rows a measure's condition keeps (the condition is SQL over the facts: DuckDB
    evaluates it; grouping and counting below are done by hand)."""
    if not where:
        return frame
    con = duckdb.connect()
    con.register("rows_", frame.assign(_row=np.arange(len(frame))))
    keep = con.execute(f"SELECT _row FROM rows_ WHERE {where}").fetchnumpy()["_row"]
    con.close()
    return frame.iloc[np.sort(keep)]


def _rows_in(frame: pd.DataFrame, family: str, period: str, as_of: dt.date) -> pd.DataFrame:
    if family in compute.stocks():
        end = as_of if period == periods.ALL else min(periods.parse(period).end, as_of)
        exited = frame["exited_on"]
        return frame[(frame["enrolled_on"] <= end) & (exited.isna() | (exited > end))]
    if period == periods.ALL:
        return frame[frame["day"] <= as_of]
    p = periods.parse(period)
    return frame[(frame["day"] >= p.start) & (frame["day"] <= p.end)]


def _measured(figure: figures.Figure, rows: pd.DataFrame) -> float:
    m = figure.measure
    if m.kind == "sum":
        return float(rows[m.column].sum())
    if m.kind == "count":
        return float(len(rows))
    return float(rows[m.column].dropna().nunique())


def _raw(figure: figures.Figure, facts, programme: str, period: str, dims: dict, as_of: dt.date) -> float:
    """A cell's value in the figure's integer unit, by brute force over the rows."""
    if figure.measure.derived:
        inputs = []
        for key in figure.inputs:
            source = figures.BY_KEY[key]
            if figure.to_date:  # running totals: from the first row to the period's end
                end = as_of if period == periods.ALL else min(periods.parse(period).end, as_of)
                rows = _filtered(facts[source.family], source.measure.where)
                rows = rows[rows["day"] <= end]
                if programme != cube.ALL_PROGRAMMES:
                    rows = rows[rows["programme"] == programme]
                inputs.append(_measured(source, rows))
            else:
                inputs.append(_raw(source, facts, programme, period, dims, as_of))
        a, b = inputs
        return a - b if figure.measure.kind == "difference" else (a / b if b else float("nan"))
    rows = _filtered(facts[figure.family], figure.measure.where)
    if programme != cube.ALL_PROGRAMMES:
        rows = rows[rows["programme"] == programme]
    rows = _rows_in(rows, figure.family, period, as_of)
    for d, c in dims.items():
        rows = rows[rows[d] == c]
    return _measured(figure, rows)


@given(_facts())
@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failing example is shown as found: shrinking
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],  # one takes minutes
)
def test_cube_cells_and_relations_against_brute_force(facts):
    tables = compute._typed({family: _arrow(frame) for family, frame in facts.items()})
    cells, as_of, _ = compute.compute_cube(tables)
    assert set(cells["figure"]) <= set(figures.BY_KEY)
    # every cell is what its figure's measure gives over the rows
    for row in cells.itertuples(index=False):
        figure = figures.BY_KEY[row.figure]
        dims = {d: getattr(row, d) for d in DIMENSIONS if isinstance(getattr(row, d), str)}
        expected = _raw(figure, facts, row.programme, row.period, dims, as_of) / figure.scale
        assert np.isclose(row.value, expected, rtol=1e-12, atol=1e-9), (row, expected)
    # the headline of all programmes and all time is there for every figure (ratios: where
    # the denominator is not zero)
    headlines = cells[cube.is_headline(cells) & (cells["programme"] == cube.ALL_PROGRAMMES)]
    for figure in figures.FIGURES:
        if not figure.ratio:
            assert (headlines["figure"] == figure.key).any() and periods.ALL in set(headlines["period"]), figure.key
    # every relation the cube says a figure obeys holds exactly, in the figure's integer unit
    for key in cells["figure"].unique():
        figure = figures.BY_KEY[key]
        mine = cells[cells["figure"] == key].reset_index(drop=True)
        exact = np.round(mine["value"].to_numpy() * figure.scale)
        for relation, parent in cube.parents(mine).items():
            has = parent >= 0
            sums = np.bincount(parent[has], weights=exact[has], minlength=len(mine))
            parts = np.bincount(parent[has], minlength=len(mine)) > 0
            most = np.zeros(len(mine))
            np.maximum.at(most, parent[has], exact[has])
            if cube.adds_up(key, relation):
                assert (sums[parts] == exact[parts]).all(), (key, relation)
            elif figure.measure.kind == "distinct" and not (relation == cube.PERIOD and figure.to_date):
                # people counted once: the total is at least the largest part, and at most the
                # parts' sum; for a flow, a part with no cell has no rows. (A programme's list
                # of children in care has no cell after the programme's last reported day,
                # while all programmes' list still counts them: not a sum of cells there.)
                assert (exact[parts] >= most[parts]).all(), (key, relation)
                if not figure.to_date:
                    assert (exact[parts] <= sums[parts]).all(), (key, relation)
