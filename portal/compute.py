"""The raw cube: every figure × programme and all programmes × the fixed period grid × each
declared breakdown, unsuppressed, computed by DuckDB from the working store's facts.

What is computed comes from the registry (``portal.figures``: each figure's measure) and the
grid from ``portal.cube`` (breakdowns) and ``portal.periods`` (periods): a sum, count or
distinct count becomes one aggregate of a GROUPING SETS query over its family's facts; a
ratio is taken cell by cell; a derived figure taken to date (balance, disbursement rate)
from its inputs' running totals. ``portal.publish`` suppresses and writes the result."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pyarrow as pa

from portal import cube, figures, periods, scratch
from portal.facts import DATE_COLUMNS, FACTS, _empty, _register, _typed, load_facts  # noqa: F401
from portal.figures import DATA_FAMILIES, Breakdown, has_family
from portal.settings import get_settings
from portal.vocab import DIMENSIONS


def stocks() -> list[str]:
    """Families of people on a list over time (the register: ``enrolled_on`` … ``exited_on``),
    whose figures are taken at a period's end; the others are flows, dated by ``day``."""
    return [f for f in DATA_FAMILIES if any(g.to_date for g in figures.figures_of(f) if not g.measure.derived)]


def flows() -> list[str]:
    return [f for f in DATA_FAMILIES if f not in stocks()]


def _first_day(family: str) -> str:
    return "enrolled_on" if family in stocks() else "day"


def _dominated() -> list[str]:
    """Families with a money figure under the dominance rule: computed per donor first."""
    return [f for f in DATA_FAMILIES if any(g.dominance for g in figures.figures_of(f))]


class NothingToPublish(Exception):
    """The working store holds no rows a figure can be computed from."""


class AsOfOutOfRange(ValueError):
    """An as-of date the data cannot stand for: after its last day (a future as-of would
    publish zeros for days nobody reported, and a grid to the year 9999) or before its first."""

    def __init__(self, as_of: dt.date, first: dt.date, last: dt.date):
        super().__init__(f"as-of {as_of} outside the data's {first} – {last}")
        self.as_of, self.first, self.last = as_of, first, last


def _duckdb() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for one publish step; no progress bars on the operator's terminal."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    # person-level rows spill to the private scratch area, not to ./.tmp or /tmp
    con.execute("SET temp_directory = $path", {"path": str(scratch.spill_folder())})
    # bounded: past the limit DuckDB spills (its default, 80 % of the machine, took 13.2 GB at scale
    # 330; 1 GB: 3.5 GB in all and faster, docs/performance.md)
    con.execute("SET memory_limit = $limit", {"limit": get_settings().publish_memory})
    return con


def data_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    latest = ", ".join(f"(SELECT max({_first_day(f)}) FROM {f})" for f in DATA_FAMILIES)
    return con.execute(f"SELECT greatest({latest})").fetchall()[0][0]


def _period_tables(con: duckdb.DuckDBPyConnection, first: dt.date, as_of: dt.date) -> list[periods.Period]:
    grid = periods.grid(first, as_of)
    # period -> the day its to-date figures are taken at (the period's end, capped at as-of)
    ends = [("all", as_of)] + [(p.key, min(p.end, as_of)) for p in grid]
    con.register("pend_df", pd.DataFrame(ends, columns=["period", "end_day"]))
    con.execute("CREATE TYPE period_key AS ENUM (SELECT period FROM pend_df)")
    con.execute(
        "CREATE TEMP TABLE pend AS "
        "SELECT CAST(period AS period_key) AS period, CAST(end_day AS DATE) AS end_day FROM pend_df"
    )
    # day -> each period it falls in (all, year, quarter, month): flows join on this
    days = pd.date_range(first, as_of, freq="D").date
    rows = []
    for day in days:
        rows.extend((day, key) for key in periods.keys_of_day(day))
    con.register("pmap_df", pd.DataFrame(rows, columns=["day", "period"]))
    con.execute(
        "CREATE TEMP TABLE pmap AS SELECT CAST(day AS DATE) AS day, CAST(period AS period_key) AS period FROM pmap_df"
    )
    return grid


def _frame(con: duckdb.DuckDBPyConnection, sql: str, parameters: dict | None = None) -> pd.DataFrame:
    """A query's rows as a DataFrame of plain values: ENUM columns come back as text."""
    frame = con.execute(sql, parameters).df()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _grouping_sets(family: str, *extra: str) -> list[str]:
    """Every breakdown of a family, per programme and for all programmes, as GROUPING SETS
    members; ``extra`` columns (a person) are added to each."""
    return [
        "(" + ", ".join([*level, *breakdown, *extra]) + ")"
        for breakdown in cube.breakdowns_of(family)
        for level in (["programme", "period"], ["period"])
    ]


def _cell_keys(family: str) -> list[str]:
    """The columns naming a cube cell: programme, period, the family's dimensions and their
    GROUPING() flags."""
    dims = cube.dims_of(family)
    return ["programme", "g_programme", "period", *dims, *(f"g_{d}" for d in dims)]


def _cube_sql(family: str, source: str, measures: str | None = None) -> str:
    """One GROUPING SETS query for a family: every breakdown, per programme and for all
    (``measures``: the select list of aggregates, by default every figure's)."""
    dims = cube.dims_of(family)
    sets = _grouping_sets(family)
    select_dims = ", ".join(f"{d}, GROUPING({d}) AS g_{d}" for d in dims)
    if measures is None:
        measures = ", ".join(f"{f.measure.sql} AS {f.key}" for f in figures.figures_of(family) if f.measure.sql)
    return (
        f"SELECT programme, GROUPING(programme) AS g_programme, period, {select_dims}, {measures} "
        f"FROM {source} GROUP BY GROUPING SETS ({', '.join(sets)})"
    )


def _distinct_cube_sql(family: str, source: str) -> str:
    """The family's cube as ``_cube_sql`` gives it, with each distinct count computed apart:
    the distinct (cell, person) pairs of the finest breakdown first, coarser breakdowns and
    the all-programmes level projected from those, then counted. DuckDB runs a COUNT(DISTINCT)
    inside GROUPING SETS over all the rows once per set; this reads them once per finest
    breakdown, and plain DISTINCT is the quicker operator."""
    dims = cube.dims_of(family)
    additive = [f for f in figures.figures_of(family) if f.measure.additive]
    distinct = [f for f in figures.figures_of(family) if f.measure.kind == "distinct"]
    # every cell with a row, even where a filtered distinct count finds nobody (a true zero)
    sums = ", ".join([*(f"{f.measure.sql} AS {f.key}" for f in additive), "COUNT(*) AS cell_rows"])
    ctes = [f"src AS MATERIALIZED (SELECT * FROM {source})", f"sums AS ({_cube_sql(family, 'src', measures=sums)})"]
    parts = ["SELECT * FROM sums"]
    for i, figure in enumerate(distinct):
        person, condition = figure.measure.column, figure.measure.where
        where = f"{person} IS NOT NULL" + (f" AND ({condition})" if condition else "")
        made: dict[Breakdown, str] = {}
        for breakdown in sorted(cube.breakdowns_of(family), key=len, reverse=True):
            parent = min((b for b in made if set(breakdown) <= set(b)), key=len, default=None)
            name = f"d{i}_{len(made)}"
            origin = made[parent] if parent is not None else f"src WHERE {where}"
            ctes.append(
                f"{name} AS MATERIALIZED (SELECT DISTINCT {', '.join(['programme', 'period', *breakdown, person])} "
                f"FROM {origin})"
            )
            made[breakdown] = name
            for level in (["programme", "period"], ["period"]):
                keys = ", ".join([*level, *breakdown])
                flags = [f"{0 if level[0] == 'programme' else 1} AS g_programme"]
                flags += [f"{0 if d in breakdown else 1} AS g_{d}" for d in dims]
                rows = name if level[0] == "programme" else f"(SELECT DISTINCT {keys}, {person} FROM {name})"
                parts.append(f"SELECT {keys}, {', '.join(flags)}, COUNT(*) AS {figure.key} FROM {rows} GROUP BY ALL")
    keys = _cell_keys(family)
    measures = [f"SUM({f.key}) AS {f.key}" for f in additive]
    measures += [f"coalesce(SUM({f.key}), 0) AS {f.key}" for f in distinct]
    union = " UNION ALL BY NAME ".join(parts)
    return f"WITH {', '.join(ctes)} SELECT {', '.join(keys)}, {', '.join(measures)} FROM ({union}) GROUP BY ALL"


DONOR = "donor_id"  # the person column the dominance rule ranks gifts by


def _dominance_sql(family: str, source: str) -> str:
    """The donations cube and its dominance inputs in one pass over the gifts. A named donor's
    gifts are first summed per donor, then over donors; an anonymous gift counts as its own
    donor, so anonymous gifts go straight to their cells (a third of the gifts, no per-donor
    step). Additive figures add up, distinct donors are the named donor groups, and the top-one
    and top-two donor sums (the dominance rule) are the two largest of both."""
    dims = cube.dims_of(family)
    sets, donor_sets = _grouping_sets(family), _grouping_sets(family, DONOR)
    money = next(f for f in figures.figures_of(family) if f.dominance)
    if money.measure.kind != "sum" or money.measure.where:
        raise ValueError(f"{money.key}: the dominance rule ranks donors by a plain sum")
    per_donor, anonymous, total = [], [], []
    for figure in figures.figures_of(family):
        measure = figure.measure
        if measure.derived:
            continue
        if measure.kind == "distinct":
            # the donor groups are the distinct named donors: no other distinct count fits here
            if (measure.column, measure.where) != (DONOR, None):
                raise ValueError(f"{figure.key}: a {family} figure can only count distinct {DONOR}")
            per_donor.append(f"1 AS {figure.key}")
            anonymous.append(f"0 AS {figure.key}")
        else:  # sums and counts of rows add up over donors
            per_donor.append(f"{measure.sql} AS {figure.key}")
            anonymous.append(f"{measure.sql} AS {figure.key}")
        total.append(f"SUM({figure.key}) AS {figure.key}")  # over donors, then over both parts
    amount = money.measure.column
    keys = ", ".join(_cell_keys(family))
    grouped = ", ".join(
        ["programme, GROUPING(programme) AS g_programme, period", *(f"{d}, GROUPING({d}) AS g_{d}" for d in dims)]
    )
    return (
        "WITH per_donor AS ("
        f"  SELECT {grouped}, {', '.join(per_donor)} FROM {source} WHERE {DONOR} IS NOT NULL"
        f"  GROUP BY GROUPING SETS ({', '.join(donor_sets)})),"
        f" parts AS (SELECT {keys}, {', '.join(total)}, max({money.key}, 2) AS top FROM per_donor GROUP BY ALL"
        f"  UNION ALL BY NAME"
        f"  SELECT {grouped}, {', '.join(anonymous)}, max({amount}, 2) AS top FROM {source} WHERE {DONOR} IS NULL"
        f"  GROUP BY GROUPING SETS ({', '.join(sets)})),"
        f" cells AS (SELECT {keys}, {', '.join(total)},"
        "  list_slice(list_sort(flatten(list(top)), 'DESC'), 1, 2) AS top2 FROM parts GROUP BY ALL)"
        " SELECT * EXCLUDE (top2), coalesce(top2[1], 0) AS top1_fen, coalesce(list_sum(top2), 0) AS top2_fen"
        " FROM cells"
    )


def _label_groups(frame: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    """Turn GROUPING() flags into the published convention: 'all' programme, null dimension."""
    frame = frame.copy()
    frame.loc[frame["g_programme"] == 1, "programme"] = "all"
    for d in dims:
        frame.loc[frame[f"g_{d}"] == 1, d] = None
    frame["breakdown"] = _breakdown_column(frame, dims)
    return frame.drop(columns=["g_programme", *(f"g_{d}" for d in dims)])


def _breakdown_column(frame: pd.DataFrame, dims: list[str]) -> list[Breakdown]:
    flags = frame[[f"g_{d}" for d in dims]].to_numpy()
    return [tuple(d for d, flag in zip(dims, row, strict=True) if flag == 0) for row in flags]


def prepare(
    con: duckdb.DuckDBPyConnection, facts: dict[str, pa.Table], as_of: dt.date | None
) -> tuple[dt.date, dt.date]:
    """Register the facts and build the period views ``<family>_p`` each cube query reads:
    flows joined to every period their day falls in, the register to every period end it covers.
    Returns the first day of data and the as-of date."""
    for family, table in facts.items():
        _register(con, family, table)
    latest = data_as_of(con)
    if latest is None:
        raise NothingToPublish
    first = ", ".join(f"(SELECT min({_first_day(f)}) FROM {f})" for f in DATA_FAMILIES)
    first = con.execute(f"SELECT least({first})").fetchall()[0][0]
    if as_of is not None and not first <= as_of <= latest:
        raise AsOfOutOfRange(as_of, first, latest)
    as_of = as_of or latest
    _period_tables(con, first, as_of)
    for family in flows():
        con.execute(f"CREATE TEMP VIEW {family}_p AS SELECT * FROM {family} JOIN pmap USING (day)")
    for family in stocks():
        con.execute(
            f"CREATE TEMP VIEW {family}_p AS SELECT r.*, pend.period FROM {family} r JOIN pend "
            "ON r.enrolled_on <= pend.end_day AND (r.exited_on IS NULL OR r.exited_on > pend.end_day)"
        )
        # the same at each distinct period end: a year, its last quarter and month end on one day
        con.execute(
            f"CREATE TEMP VIEW {family}_d AS SELECT r.*, e.end_day AS period FROM {family} r "
            "JOIN (SELECT DISTINCT end_day FROM pend) e "
            "ON r.enrolled_on <= e.end_day AND (r.exited_on IS NULL OR r.exited_on > e.end_day)"
        )
    return first, as_of


def _family_sql(family: str) -> str:
    """The query giving a family's cube (``_cube_sql`` over its period view, but quicker)."""
    if family in _dominated():
        return _dominance_sql(family, f"{family}_p")
    if family in stocks():
        # counted once per period end, then labelled with every period ending that day
        counted = _distinct_cube_sql(family, f"{family}_d")
        return f"SELECT pend.period, c.* EXCLUDE (period) FROM ({counted}) c JOIN pend ON pend.end_day = c.period"
    return _distinct_cube_sql(family, f"{family}_p")


def compute_cube(
    facts: dict[str, pa.Table], *, as_of: dt.date | None = None
) -> tuple[pd.DataFrame, dt.date, pd.DataFrame]:
    """Every figure's raw (unsuppressed) value, one row per cell, long form:
    figure, programme, period, dimensions…, value (in the published unit), fen/seconds exact;
    the as-of date; and the coverage (``_coverage``)."""
    con = _duckdb()
    try:
        first, as_of = prepare(con, facts, as_of)
        wide: dict[str, pd.DataFrame] = {}
        for family in DATA_FAMILIES:
            wide[family] = _label_groups(_frame(con, _family_sql(family)), cube.dims_of(family))
        ledger = _ledger(con)
        coverage = _coverage(con, as_of)
    finally:
        con.close()
    reported = _programme_periods(coverage, periods.grid(first, as_of))
    return _long_cells(wide, ledger, reported, coverage), as_of, coverage


def _coverage(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Per programme (and ``all``) and family: the first and last day its rows cover, up to
    the as-of date. A programme has no row for a family it has no data of."""
    spans = []
    for family in DATA_FAMILIES:
        if family in stocks():
            last, day = "least(max(greatest(enrolled_on, coalesce(exited_on, enrolled_on))), $as_of)", "enrolled_on"
        else:
            last, day = "max(day)", "day"
        spans.append(
            f" SELECT programme::VARCHAR AS programme, '{family}' AS family, min({day}) AS first_day,"
            f"  {last} AS last_day FROM {family} WHERE {day} <= $as_of GROUP BY ALL"
        )
    return _frame(
        con,
        f"WITH spans AS ({' UNION ALL'.join(spans)})"
        " SELECT coalesce(programme::VARCHAR, 'all') AS programme, family, min(first_day) AS first_day,"
        "  max(last_day) AS last_day FROM spans GROUP BY GROUPING SETS ((programme, family), (family))"
        " ORDER BY programme, family",
        {"as_of": as_of},
    ).astype({"first_day": "datetime64[s]", "last_day": "datetime64[s]"})


def _programme_periods(coverage: pd.DataFrame, grid: list[periods.Period]) -> pd.DataFrame:
    """(programme, period) of every period a programme has reported for: from its first day
    to its own last day (its as-of date), and all time. A programme that has not reported for
    a period has no cell there: "not yet reported" is not a zero."""
    rows = []
    spans = coverage.groupby("programme").agg(first_day=("first_day", "min"), last_day=("last_day", "max"))
    for programme, span in spans.iterrows():
        first, last = span["first_day"].date(), span["last_day"].date()
        rows.append((programme, periods.ALL))
        rows.extend((programme, p.key) for p in grid if p.end >= first and p.start <= last)
    return pd.DataFrame(rows, columns=["programme", "period"])


def running() -> list[figures.Figure]:
    """Figures derived to date from other figures' running totals (balance, disbursement rate)."""
    return [f for f in figures.FIGURES if f.measure.derived and f.to_date]


def _ledger(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The running total of every input of a ``running()`` figure (money raised, money paid
    out) to each period's end, per programme and for all: one column per input figure."""
    inputs = list(dict.fromkeys(key for f in running() for key in f.inputs))
    if not inputs:
        return pd.DataFrame(columns=["programme", "period"])
    daily = []
    for key in inputs:
        source = figures.BY_KEY[key]
        if source.family not in flows() or not source.measure.additive:
            raise ValueError(f"{key}: a running total is a sum over a flow's rows")
        columns = ", ".join(f"({source.measure.sql if other == key else 0})::HUGEINT AS {other}" for other in inputs)
        daily.append(f"SELECT programme::VARCHAR AS programme, day, {columns} FROM {source.family} GROUP BY ALL")
    totals = ", ".join(f"SUM(d.{key}) AS {key}" for key in inputs)
    return _frame(
        con,
        f"WITH daily AS ({' UNION ALL '.join(daily)})"
        f" SELECT coalesce(d.programme, 'all') AS programme, pend.period, {totals}"
        " FROM pend JOIN daily d ON d.day <= pend.end_day"
        " GROUP BY GROUPING SETS ((d.programme, pend.period), (pend.period))",
    )


def _complete(wide: pd.DataFrame, family: str, reported: pd.DataFrame) -> pd.DataFrame:
    """Add true zeros: every period a programme has reported for × every category it has ever
    had (a county with nobody paid this quarter is a zero, not a gap). All time has every
    category a flow ever had; a stock's all time is the list at the as-of date, without a
    county whose children have all left since, so the other periods' categories count too."""
    dims = cube.dims_of(family)
    key = ["programme", "breakdown", *dims]
    every = wide["period"] == periods.ALL
    domain = pd.concat([wide.loc[every, key], wide.loc[~every, key]]).drop_duplicates()
    frame = domain.merge(reported, on="programme")
    merged = frame.merge(wide, on=[*key, "period"], how="left")
    measures = [c for c in wide.columns if c not in (*key, "period")]
    merged[measures] = merged[measures].fillna(0)
    return merged


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator ÷ denominator, NaN where the denominator is zero (that cell is not written)."""
    denominator = denominator.astype("float64")
    return numerator.astype("float64") / denominator.where(denominator != 0)


def _derive(figure: figures.Figure, values: pd.DataFrame) -> pd.Series:
    """A figure's value in its published unit from the frame holding its measure's column, or
    its inputs' columns (a ratio: NaN where the denominator is zero, and no cell is written)."""
    measure = figure.measure
    if measure.kind == "ratio":
        numerator, denominator = measure.of
        return _ratio(values[numerator], values[denominator]) / figure.scale
    if measure.kind == "difference":
        a, b = measure.of
        return (values[a].astype("float64") - values[b].astype("float64")) / figure.scale
    return values[figure.key].astype("float64") / figure.scale


def _long_cells(
    wide: dict[str, pd.DataFrame], ledger: pd.DataFrame, reported: pd.DataFrame, coverage: pd.DataFrame
) -> pd.DataFrame:
    parts = []
    for family, frame in wide.items():
        frame = _complete(frame, family, reported)
        dims = cube.dims_of(family)
        for figure in figures.figures_of(family):
            if figure in running():
                continue
            rows = frame[frame["breakdown"].isin(figure.breakdowns)]
            part = rows[["programme", "period", "breakdown", *dims]].copy()
            part["figure"] = figure.key
            part["value"] = _derive(figure, rows)
            part["people"] = rows[figure.guarded_by].astype("float64") if figure.guarded_by else float("nan")
            if figure.dominance:
                part["total_fen"] = rows[figure.key].astype("float64")
                part["top1_fen"] = rows["top1_fen"].astype("float64")
                part["top2_fen"] = rows["top2_fen"].astype("float64")
            parts.append(part[part["value"].notna()])
    families = coverage.groupby("programme")["family"].agg(set)
    for figure in running():
        # only where the programme has every kind of data the figure needs (balance and rate
        # where money is both raised and paid out)
        having = [programme for programme, kinds in families.items() if has_family(figure, kinds)]
        rows = ledger.merge(reported[reported["programme"].isin(having)], on=["programme", "period"])
        part = rows[["programme", "period"]].copy()
        part["breakdown"] = [()] * len(part)
        part["figure"] = figure.key
        part["value"] = _derive(figure, rows)
        parts.append(part[part["value"].notna()])
    cells = pd.concat(parts, ignore_index=True)
    for d in DIMENSIONS:
        if d not in cells:
            cells[d] = None
    cells = cells.astype({d: object for d in DIMENSIONS})
    cells[list(DIMENSIONS)] = cells[list(DIMENSIONS)].where(cells[list(DIMENSIONS)].notna(), None)
    order = {f.key: i for i, f in enumerate(figures.FIGURES)}
    cells["_order"] = cells["figure"].map(order)
    cells = cells.sort_values(["_order", "programme", "period"], kind="stable").drop(columns="_order")
    return cells.reset_index(drop=True)
