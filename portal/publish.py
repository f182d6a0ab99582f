"""``portal publish``: every figure the portal can show, computed once.

The working store's rows are read as Arrow and the whole cube (every figure × programme and
all programmes × the fixed period grid × each declared breakdown) is computed by DuckDB with
GROUPING SETS, the same way whether the store is SQLite or PostgreSQL. Small cells are then
withheld (``portal.suppress``) and the release is written in one transaction beside the
previous ones, so a visitor never sees half a release."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal import periods, receipts, scratch, suppress
from portal.db import checkpoint
from portal.figures import DATA_FAMILIES, FIGURES, Breakdown, figures_of, has_family
from portal.models import published as pub
from portal.vocab import DIMENSIONS
from portal.working_rows import read_tables

# The facts each family is computed from: SQL over the working store (integer keys, fen,
# seconds), and the column that dates a row.
FACTS: dict[str, str] = {
    "donations": (
        "SELECT programme, donated_on AS day, amount_fen, is_refund, channel, donor_type, donor_id FROM donation"
    ),
    "disbursements": (
        "SELECT d.programme, d.paid_on AS day, d.amount_fen, d.child_id, d.stage, d.purpose, "
        "d.county AS region, c.category "
        "FROM disbursement d JOIN child c ON c.programme = d.programme AND c.person_id = d.child_id"
    ),
    "service": (
        "SELECT programme, served_on AS day, seconds, volunteer_id, volunteer_type, "
        "county AS region, activity, child_id FROM service_record"
    ),
    "register": (
        "SELECT programme, person_id AS child_id, county AS region, category, enrolled_on, exited_on, paired FROM child"
    ),
}
DATE_COLUMNS = {"day", "enrolled_on", "exited_on"}


@dataclass
class PublishResult:
    release_id: str
    as_of: dt.date
    k: int
    cells: int
    withheld: dict[str, int]  # by reason
    corrections: int
    receipts: int = 0  # gifts a donor can check in this release


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
    return con


def _empty(table: pa.Table) -> pa.Table:
    """A fact table with no rows, typed as a full one would be: SQLite gives a column with no
    rows no type, and DuckDB then cannot bind the queries over it."""

    def kind(name: str) -> pa.DataType:
        if name in DATE_COLUMNS:
            return pa.date32()
        if name in ("is_refund", "paired"):
            return pa.bool_()
        if name.endswith(("_id", "_fen")) or name == "seconds":
            return pa.int64()
        return pa.string()

    return pa.schema([(name, kind(name)) for name in table.schema.names]).empty_table()


def load_facts(working: Engine) -> dict[str, pa.Table]:
    """The working store's facts as Arrow; a programme may have no rows of a kind at all."""
    return _typed(read_tables(working, FACTS))


def _typed(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return {name: table if table.num_rows else _empty(table) for name, table in tables.items()}


# the gifts whose receipts a donor can check (refunds are not gifts)
GIFTS = "SELECT receipt_no, amount_fen, programme, donated_on FROM donation WHERE NOT is_refund"
# every committed load that changed a row added a batch row in the same transaction
DATA_VERSION = "SELECT count(*), coalesce(max(id), 0) FROM batch"
SNAPSHOT_TRIES = 3


class ReleaseKeyMismatch(ValueError):
    """The working store was built under another pseudonym key than the published releases:
    its person keys are other people's (or the store is another charity's)."""

    def __init__(self, working: str | None, published: str | None):
        super().__init__(f"working store key {working} != published releases' key {published}")
        self.working, self.published = working, published


class WorkingStoreBusy(RuntimeError):
    """Loads kept committing while publish read the working store."""


@dataclass
class Snapshot:
    """All publish reads of the working store, as of one state of it."""

    facts: dict[str, pa.Table]
    gifts: pa.Table
    reference: dict[str, pd.DataFrame]


def read_snapshot(working: Engine) -> Snapshot:
    """The facts, the gifts behind the receipts and the reference lists as of one state of the
    working store. The readers run in parallel on their own connections, and a load may
    commit between them (it takes no lock a reader waits on); so the data version is read
    before and after, and everything is read again if a load came in between. Without this,
    a gift loaded mid-publish could be checkable on the receipt page of a release whose
    figures leave it out."""
    for _ in range(SNAPSHOT_TRIES):
        before = _data_version(working)
        tables = read_tables(working, {**FACTS, "gifts": GIFTS})
        reference = _reference(working)
        if _data_version(working) == before:
            gifts = tables.pop("gifts")
            return Snapshot(facts=_typed(tables), gifts=gifts, reference=reference)
    raise WorkingStoreBusy


def _data_version(working: Engine) -> tuple:
    with working.connect() as connection:
        return tuple(connection.exec_driver_sql(DATA_VERSION).one())


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Register an Arrow table in DuckDB with dates and flags typed, whatever the store gave,
    and every text column (programme, region, stage…) as an ENUM of its values: the cube's
    distinct counts group on them, and on small integers they run twice as fast as on text."""
    con.register(f"{name}_raw", table)
    columns = []
    for field in table.schema:
        if field.name in DATE_COLUMNS:
            columns.append(f"CAST({field.name} AS DATE) AS {field.name}")
        elif field.name in ("is_refund", "paired"):
            columns.append(f"CAST({field.name} AS BOOLEAN) AS {field.name}")
        elif pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            con.execute(
                f"CREATE TYPE {name}_{field.name} AS ENUM "
                f"(SELECT DISTINCT {field.name} FROM {name}_raw WHERE {field.name} IS NOT NULL ORDER BY 1)"
            )
            columns.append(f"CAST({field.name} AS {name}_{field.name}) AS {field.name}")
        else:
            columns.append(field.name)
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT {', '.join(columns)} FROM {name}_raw")
    con.unregister(f"{name}_raw")


def data_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    latest = con.execute(
        "SELECT greatest((SELECT max(day) FROM donations), (SELECT max(day) FROM disbursements), "
        "(SELECT max(day) FROM service), (SELECT max(enrolled_on) FROM register))"
    ).fetchall()[0][0]
    return latest


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
        q = (day.month - 1) // 3 + 1
        for key in ("all", f"{day.year}", f"{day.year}-Q{q}", f"{day.year}-{day.month:02d}"):
            rows.append((day, key))
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


def _family_dims(family: str) -> list[str]:
    dims: list[str] = []
    for figure in figures_of(family):
        for breakdown in figure.breakdowns:
            dims.extend(d for d in breakdown if d not in dims)
    return dims


def _family_breakdowns(family: str) -> list[Breakdown]:
    seen: list[Breakdown] = []
    for figure in figures_of(family):
        seen.extend(b for b in figure.breakdowns if b not in seen)
    return seen


def _grouping_sets(family: str, *extra: str) -> list[str]:
    """Every breakdown of a family, per programme and for all programmes, as GROUPING SETS
    members; ``extra`` columns (a person) are added to each."""
    return [
        "(" + ", ".join([*level, *breakdown, *extra]) + ")"
        for breakdown in _family_breakdowns(family)
        for level in (["programme", "period"], ["period"])
    ]


def _cell_keys(family: str) -> list[str]:
    """The columns naming a cube cell: programme, period, the family's dimensions and their
    GROUPING() flags."""
    dims = _family_dims(family)
    return ["programme", "g_programme", "period", *dims, *(f"g_{d}" for d in dims)]


def _cube_sql(family: str, source: str, measures: str | None = None) -> str:
    """One GROUPING SETS query for a family: every breakdown, per programme and for all
    (``measures``: the select list of aggregates, by default every figure's)."""
    dims = _family_dims(family)
    sets = _grouping_sets(family)
    select_dims = ", ".join(f"{d}, GROUPING({d}) AS g_{d}" for d in dims)
    if measures is None:
        measures = ", ".join(f"{f.aggregate} AS {f.key}" for f in figures_of(family) if f.aggregate)
    return (
        f"SELECT programme, GROUPING(programme) AS g_programme, period, {select_dims}, {measures} "
        f"FROM {source} GROUP BY GROUPING SETS ({', '.join(sets)})"
    )


_DISTINCT = re.compile(r"COUNT\(DISTINCT (\w+)\)(?: FILTER \(WHERE (.+)\))?")


def _distinct_cube_sql(family: str, source: str) -> str:
    """The family's cube as ``_cube_sql`` gives it, with each distinct count computed apart:
    the distinct (cell, person) pairs of the finest breakdown first, coarser breakdowns and
    the all-programmes level projected from those, then counted. DuckDB runs a COUNT(DISTINCT)
    inside GROUPING SETS over all the rows once per set; this reads them once per finest
    breakdown, and plain DISTINCT is the quicker operator."""
    dims = _family_dims(family)
    additive = [f for f in figures_of(family) if f.aggregate and not _DISTINCT.fullmatch(f.aggregate)]
    distinct = [f for f in figures_of(family) if f.aggregate and _DISTINCT.fullmatch(f.aggregate)]
    # every cell with a row, even where a filtered distinct count finds nobody (a true zero)
    sums = ", ".join([*(f"{f.aggregate} AS {f.key}" for f in additive), "COUNT(*) AS cell_rows"])
    ctes = [f"src AS MATERIALIZED (SELECT * FROM {source})", f"sums AS ({_cube_sql(family, 'src', measures=sums)})"]
    parts = ["SELECT * FROM sums"]
    for i, figure in enumerate(distinct):
        person, condition = _DISTINCT.fullmatch(figure.aggregate).groups()
        where = f"{person} IS NOT NULL" + (f" AND ({condition})" if condition else "")
        made: dict[Breakdown, str] = {}
        for breakdown in sorted(_family_breakdowns(family), key=len, reverse=True):
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


def _donations_sql(source: str) -> str:
    """The donations cube and its dominance inputs in one pass over the gifts. A named donor's
    gifts are first summed per donor, then over donors; an anonymous gift counts as its own
    donor, so anonymous gifts go straight to their cells (a third of the gifts, no per-donor
    step). Additive figures add up, distinct donors are the named donor groups, and the top-one
    and top-two donor sums (the dominance rule) are the two largest of both."""
    dims = _family_dims("donations")
    sets, donor_sets = _grouping_sets("donations"), _grouping_sets("donations", "donor_id")
    money = next(f for f in figures_of("donations") if f.dominance)
    per_donor, anonymous, total = [], [], []
    for figure in figures_of("donations"):
        if figure.aggregate is None:
            continue
        if distinct := _DISTINCT.fullmatch(figure.aggregate):
            # the donor groups are the distinct named donors: no other distinct count fits here
            if distinct.groups() != ("donor_id", None):
                raise ValueError(f"{figure.key}: a donations figure can only count distinct donor_id")
            per_donor.append(f"1 AS {figure.key}")
            anonymous.append(f"0 AS {figure.key}")
        else:  # SUM(…) and COUNT(*) [FILTER …] add up over donors
            per_donor.append(f"{figure.aggregate} AS {figure.key}")
            anonymous.append(f"{figure.aggregate} AS {figure.key}")
        total.append(f"SUM({figure.key}) AS {figure.key}")  # over donors, then over both parts
    amount = money.aggregate.removeprefix("SUM(").removesuffix(")")
    keys = ", ".join(_cell_keys("donations"))
    grouped = ", ".join(
        ["programme, GROUPING(programme) AS g_programme, period", *(f"{d}, GROUPING({d}) AS g_{d}" for d in dims)]
    )
    return (
        "WITH per_donor AS ("
        f"  SELECT {grouped}, {', '.join(per_donor)} FROM {source} WHERE donor_id IS NOT NULL"
        f"  GROUP BY GROUPING SETS ({', '.join(donor_sets)})),"
        f" parts AS (SELECT {keys}, {', '.join(total)}, max({money.key}, 2) AS top FROM per_donor GROUP BY ALL"
        f"  UNION ALL BY NAME"
        f"  SELECT {grouped}, {', '.join(anonymous)}, max({amount}, 2) AS top FROM {source} WHERE donor_id IS NULL"
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
    first = con.execute(
        "SELECT least((SELECT min(day) FROM donations), (SELECT min(day) FROM disbursements), "
        "(SELECT min(day) FROM service), (SELECT min(enrolled_on) FROM register))"
    ).fetchall()[0][0]
    if as_of is not None and not first <= as_of <= latest:
        raise AsOfOutOfRange(as_of, first, latest)
    as_of = as_of or latest
    _period_tables(con, first, as_of)
    for family in ("donations", "disbursements", "service"):
        con.execute(f"CREATE TEMP VIEW {family}_p AS SELECT * FROM {family} JOIN pmap USING (day)")
    con.execute(
        "CREATE TEMP VIEW register_p AS SELECT r.*, pend.period FROM register r JOIN pend "
        "ON r.enrolled_on <= pend.end_day AND (r.exited_on IS NULL OR r.exited_on > pend.end_day)"
    )
    # the same at each distinct period end: a year, its last quarter and month end on one day
    con.execute(
        "CREATE TEMP VIEW register_d AS SELECT r.*, e.end_day AS period FROM register r "
        "JOIN (SELECT DISTINCT end_day FROM pend) e "
        "ON r.enrolled_on <= e.end_day AND (r.exited_on IS NULL OR r.exited_on > e.end_day)"
    )
    return first, as_of


def _family_sql(family: str) -> str:
    """The query giving a family's cube (``_cube_sql`` over its period view, but quicker)."""
    if family == "donations":
        return _donations_sql("donations_p")
    if family == "register":
        # counted once per period end, then labelled with every period ending that day
        cube = _distinct_cube_sql(family, "register_d")
        return f"SELECT pend.period, c.* EXCLUDE (period) FROM ({cube}) c JOIN pend ON pend.end_day = c.period"
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
            wide[family] = _label_groups(_frame(con, _family_sql(family)), _family_dims(family))
        ledger = _ledger(con)
        coverage = _coverage(con, as_of)
    finally:
        con.close()
    reported = _programme_periods(coverage, periods.grid(first, as_of))
    families = coverage.groupby("programme")["family"].agg(set)
    # balance and rate only where money is both raised and paid out (figures.LEDGER_NEEDS)
    ledgered = [programme for programme, kinds in families.items() if has_family("balance", kinds)]
    ledger = ledger.merge(reported[reported["programme"].isin(ledgered)], on=["programme", "period"])
    return _long_cells(wide, ledger, reported), as_of, coverage


def _coverage(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Per programme (and ``all``) and family: the first and last day its rows cover, up to
    the as-of date. A programme has no row for a family it has no data of."""
    return _frame(
        con,
        "WITH spans AS ("
        " SELECT programme, 'donations' AS family, min(day) AS first_day, max(day) AS last_day"
        "  FROM donations WHERE day <= $as_of GROUP BY ALL UNION ALL"
        " SELECT programme, 'disbursements', min(day), max(day) FROM disbursements WHERE day <= $as_of GROUP BY ALL"
        " UNION ALL"
        " SELECT programme, 'register', min(enrolled_on),"
        "  least(max(greatest(enrolled_on, coalesce(exited_on, enrolled_on))), $as_of)"
        "  FROM register WHERE enrolled_on <= $as_of GROUP BY ALL UNION ALL"
        " SELECT programme, 'service', min(day), max(day) FROM service WHERE day <= $as_of GROUP BY ALL)"
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


def _ledger(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Cumulative raised and disbursed to each period's end, per programme and for all."""
    return _frame(
        con,
        "WITH daily AS ("
        "  SELECT programme::VARCHAR AS programme, day, SUM(amount_fen) AS raised, 0::HUGEINT AS paid"
        "  FROM donations GROUP BY ALL"
        "  UNION ALL SELECT programme::VARCHAR, day, 0, SUM(amount_fen) FROM disbursements GROUP BY ALL)"
        " SELECT coalesce(d.programme, 'all') AS programme, pend.period,"
        "   SUM(d.raised) AS raised_fen, SUM(d.paid) AS paid_fen"
        " FROM pend JOIN daily d ON d.day <= pend.end_day"
        " GROUP BY GROUPING SETS ((d.programme, pend.period), (pend.period))",
    )


def _complete(wide: pd.DataFrame, family: str, reported: pd.DataFrame) -> pd.DataFrame:
    """Add true zeros: every period a programme has reported for × every category it has ever
    had (a county with nobody paid this quarter is a zero, not a gap)."""
    dims = _family_dims(family)
    key = ["programme", "breakdown", *dims]
    domain = wide.loc[wide["period"] == "all", key].drop_duplicates()
    frame = domain.merge(reported, on="programme")
    merged = frame.merge(wide, on=[*key, "period"], how="left")
    measures = [c for c in wide.columns if c not in (*key, "period")]
    merged[measures] = merged[measures].fillna(0)
    return merged


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator ÷ denominator, NaN where the denominator is zero (that cell is not written)."""
    denominator = denominator.astype("float64")
    return numerator.astype("float64") / denominator.where(denominator != 0)


def _long_cells(wide: dict[str, pd.DataFrame], ledger: pd.DataFrame, reported: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for family, frame in wide.items():
        frame = _complete(frame, family, reported)
        dims = _family_dims(family)
        for figure in figures_of(family):
            rows = frame[frame["breakdown"].isin(figure.breakdowns)]
            part = rows[["programme", "period", "breakdown", *dims]].copy()
            part["figure"] = figure.key
            if figure.ratio:
                numerator, denominator = figure.ratio
                part["value"] = _ratio(rows[numerator], rows[denominator]) / figure.scale
            else:
                part["value"] = rows[figure.key].astype("float64") / figure.scale
            part["people"] = rows[figure.guarded_by].astype("float64") if figure.guarded_by else float("nan")
            if figure.dominance:
                part["total_fen"] = rows["funds_raised"].astype("float64")
                part["top1_fen"] = rows["top1_fen"].astype("float64")
                part["top2_fen"] = rows["top2_fen"].astype("float64")
            parts.append(part[part["value"].notna()])
    ledger["breakdown"] = [()] * len(ledger)
    balance = ledger[["programme", "period", "breakdown"]].copy()
    balance["figure"] = "balance"
    balance["value"] = (ledger["raised_fen"].astype("float64") - ledger["paid_fen"].astype("float64")) / 100
    rate = ledger[["programme", "period", "breakdown"]].copy()
    rate["figure"] = "disbursement_rate"
    rate["value"] = _ratio(ledger["paid_fen"], ledger["raised_fen"])
    parts.extend([balance, rate[rate["value"].notna()]])
    cells = pd.concat(parts, ignore_index=True)
    for d in DIMENSIONS:
        if d not in cells:
            cells[d] = None
    cells = cells.astype({d: object for d in DIMENSIONS})
    cells[list(DIMENSIONS)] = cells[list(DIMENSIONS)].where(cells[list(DIMENSIONS)].notna(), None)
    order = {f.key: i for i, f in enumerate(FIGURES)}
    cells["_order"] = cells["figure"].map(order)
    cells = cells.sort_values(["_order", "programme", "period"], kind="stable").drop(columns="_order")
    return cells.reset_index(drop=True)


def _release_id(session: Session, today: dt.date) -> str:
    prefix = today.isoformat()
    count = session.exec(select(func.count()).select_from(pub.Release).where(pub.Release.id.like(f"{prefix}.%")))
    return f"{prefix}.{count.scalar_one() + 1}"


def _cell_key(frame: pd.DataFrame) -> pd.Series:
    key = frame["figure"].astype(str)
    for column in ("programme", "period", *DIMENSIONS):
        key = key + "|" + frame[column].astype(object).where(frame[column].notna(), "").astype(str)
    return key


def _corrections(
    previous: pub.Release, old: pd.DataFrame, new: pd.DataFrame, release_id: str, note: str | None
) -> list[dict]:
    """Cells of periods that were complete at the previous release's as-of and changed since."""
    complete = [p for p in set(old["period"]) if p != "all" and (pp := periods.parse(p)) and pp.end <= previous.as_of]
    old = old[old["period"].isin(complete)].assign(key=_cell_key)
    new = new[new["period"].isin(complete)].assign(key=_cell_key)
    both = old.merge(new, on="key", how="outer", suffixes=("_old", "_new"))
    changed = both[(both["status_old"] != both["status_new"]) | ((both["value_old"] - both["value_new"]).abs() > 1e-9)]
    rows = []
    for r in changed.itertuples():
        src = "_new" if isinstance(r.figure_new, str) else "_old"
        dims = ",".join(f"{d}={getattr(r, d + src)}" for d in DIMENSIONS if isinstance(getattr(r, d + src), str))
        rows.append(
            dict(
                release_id=release_id,
                previous_release_id=previous.id,
                figure=getattr(r, "figure" + src),
                programme=getattr(r, "programme" + src),
                period=getattr(r, "period" + src),
                dimensions=dims,
                old_value=None if pd.isna(r.value_old) else float(r.value_old),
                new_value=None if pd.isna(r.value_new) else float(r.value_new),
                old_status=r.status_old if isinstance(r.status_old, str) else "absent",
                new_status=r.status_new if isinstance(r.status_new, str) else "absent",
                note=note,
            )
        )
    return rows


def _reference(working: Engine) -> dict[str, pd.DataFrame]:
    queries = {
        "programmes": "SELECT code, name_zh, name_en, started_on, description_zh, description_en FROM programme",
        "regions": "SELECT code, name_zh, name_en, parent_code, public FROM region",
        "standards": "SELECT programme, stage, yearly_fen FROM stage_standard",
        "batches": "SELECT kind, file_name, sha256, rows, loaded, rejected, loaded_at FROM batch",
        "meta": "SELECT key, value FROM meta",
    }
    with working.connect() as connection:
        return {name: pd.read_sql_query(sql, connection) for name, sql in queries.items()}


def publish(
    *,
    working: Engine,
    published: Engine,
    k: int = 10,
    as_of: dt.date | None = None,
    note: str | None = None,
    today: dt.date | None = None,
    suppression: bool = True,
    receipt_key: bytes | None = None,
) -> PublishResult:
    """Compute, suppress, audit and write a new release; the previous ones stay."""
    if not suppress.MIN_K <= k <= suppress.MAX_K:
        raise ValueError(f"k must be between {suppress.MIN_K} and {suppress.MAX_K}")
    scratch.clear_leftovers()  # what a publish killed earlier left behind
    snapshot = read_snapshot(working)
    reference = snapshot.reference
    meta = dict(zip(reference["meta"]["key"], reference["meta"]["value"], strict=True))
    _check_key(published, meta.get("key_fingerprint"))  # before computing or writing anything
    raw, as_of, coverage = compute_cube(snapshot.facts, as_of=as_of)
    public_regions = set(reference["regions"].loc[reference["regions"]["public"].astype(bool), "code"])
    cells = suppress.apply(raw, k=k, public_regions=public_regions, enabled=suppression)
    now = dt.datetime.now(dt.UTC)
    with Session(published) as session:
        previous = session.exec(select(pub.Release).order_by(pub.Release.seq.desc()).limit(1)).scalars().first()
        release_id = _release_id(session, today or now.date())
        release = pub.Release(
            id=release_id,
            created_at=now,
            as_of=as_of,
            k=k,
            is_sample=meta.get("data_origin") == "sample",
            note=note,
            key_fingerprint=meta.get("key_fingerprint"),
        )
        session.add(release)
        session.flush()
        _write_reference(session, release_id, reference)
        _write_cells(session, release_id, cells)
        _write_coverage(session, release_id, coverage)
        checkable = _write_receipts(session, snapshot.gifts, release_id, as_of, receipt_key)
        corrections = []
        if previous is not None:
            from portal.queries import cells as read_cells  # same store, previous release

            old = read_cells(engine=published, release_id=previous.id)
            corrections = _corrections(previous, old, cells, release_id, note)
            if corrections:
                session.execute(pub.Correction.__table__.insert(), corrections)
        session.commit()
    checkpoint(published)  # the store's file alone now holds the release (replicas copy it)
    withheld = cells.loc[cells["status"] == "withheld", "reason"].value_counts().to_dict()
    return PublishResult(release_id, as_of, k, len(cells), withheld, len(corrections), checkable)


def _check_key(published: Engine, fingerprint: str | None) -> None:
    """A release continues the published store's releases only under the same key: releases
    under two keys would give one child two pseudonyms, and a portal trusting the old key
    would go dark on the new release."""
    with Session(published) as session:
        previous = session.exec(select(pub.Release).order_by(pub.Release.seq.desc()).limit(1)).scalars().first()
    if previous is not None and previous.key_fingerprint and previous.key_fingerprint != fingerprint:
        raise ReleaseKeyMismatch(fingerprint, previous.key_fingerprint)


def _write_reference(session: Session, release_id: str, reference: dict[str, pd.DataFrame]) -> None:
    labels = [
        dict(
            release_id=release_id,
            dimension="programme",
            code=r.code,
            name_zh=r.name_zh,
            name_en=r.name_en,
            parent_code=None,
            started_on=pd.Timestamp(r.started_on).date() if r.started_on else None,
            description_zh=r.description_zh,
            description_en=r.description_en,
        )
        for r in reference["programmes"].itertuples()
    ]
    labels += [
        dict(
            release_id=release_id,
            dimension="region",
            code=r.code,
            name_zh=r.name_zh,
            name_en=r.name_en,
            parent_code=r.parent_code,
            started_on=None,
            description_zh=None,
            description_en=None,
        )
        for r in reference["regions"].itertuples()
    ]
    if labels:
        session.execute(pub.Label.__table__.insert(), labels)
    standards = [
        dict(release_id=release_id, programme=r.programme, stage=r.stage, yearly_yuan=r.yearly_fen / 100)
        for r in reference["standards"].itertuples()
    ]
    if standards:
        session.execute(pub.Standard.__table__.insert(), standards)
    batches = [
        dict(
            release_id=release_id,
            kind=r.kind,
            # a staff file's own name ("张三捐赠.csv") stays in the working store: the public
            # record of a load is its kind, checksum, counts and date
            file_name=r.kind,
            sha256=r.sha256,
            rows=int(r.rows),
            loaded=int(r.loaded),
            rejected=int(r.rejected),
            loaded_at=_utc(r.loaded_at),
        )
        for r in reference["batches"].itertuples()
    ]
    if batches:
        session.execute(pub.ReleaseBatch.__table__.insert(), batches)
    # releases published before that rule carried file names: they go too
    table = pub.ReleaseBatch.__table__
    session.execute(table.update().where(table.c.file_name != table.c.kind).values(file_name=table.c.kind))


def _write_receipts(session: Session, gifts: pa.Table, release_id: str, as_of: dt.date, key: bytes | None) -> int:
    """One keyed hash per gift counted (refunds are not gifts); new ones added, gone ones removed.
    Digests, differences and order are computed in DuckDB: at 10M gifts this is publish's
    largest step."""
    if key is None:
        return 0
    existing = pa.table({"digest": pa.array(session.execute(select(pub.Receipt.digest)).scalars().all(), pa.string())})
    if gifts.num_rows == 0:  # a programme with no donations (or none left): nothing to check
        session.execute(pub.Receipt.__table__.delete())
        return 0
    con = _duckdb()
    try:
        con.register("gifts_raw", gifts)
        con.execute(
            "CREATE TEMP TABLE gifts AS SELECT receipt_no, amount_fen, programme::VARCHAR AS programme,"
            " strftime(CAST(donated_on AS DATE), '%Y-%m') AS month"
            " FROM gifts_raw WHERE CAST(donated_on AS DATE) <= $as_of",
            {"as_of": as_of},
        )
        receipts.digest_table(con, key, "gifts")
        con.register("existing", existing)
        wanted = con.execute("SELECT count(DISTINCT digest) FROM receipt_digest").fetchone()[0]
        gone = [
            row[0]
            for row in con.execute("SELECT digest FROM existing ANTI JOIN receipt_digest USING (digest)").fetchall()
        ]
        if gone:
            session.execute(pub.Receipt.__table__.delete().where(pub.Receipt.digest.in_(gone)))
        # in digest order, so that the primary key's B-tree grows at its end (at 10M gifts,
        # random order made this insert the larger half of publish's time)
        new = con.execute(
            "SELECT digest, arg_min(programme, receipt_no), arg_min(month, receipt_no), $release"
            " FROM receipt_digest ANTI JOIN existing USING (digest) GROUP BY digest ORDER BY digest",
            {"release": release_id},
        )
        _insert_rows(session, pub.Receipt.__table__, ["digest", "programme", "month", "release_id"], new)
    finally:
        con.close()
    return wanted


def _insert_rows(session: Session, table, columns: list[str], result, chunk: int = 100_000) -> None:
    """Insert a DuckDB result's rows, as tuples in chunks, through the session's own connection
    (same transaction): SQLAlchemy's insert() with a dict per row cost more than the writing.
    Positional markers as the two stores' drivers take them (sqlite3: ?, psycopg: %s)."""
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})"
    )
    while rows := result.fetchmany(chunk):
        connection.exec_driver_sql(sql, rows)


def _utc(value) -> dt.datetime:
    """SQLite hands back naive datetimes; the store keeps them in UTC."""
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).to_pydatetime()


def _write_coverage(session: Session, release_id: str, coverage: pd.DataFrame) -> None:
    rows = [
        dict(release_id=release_id, programme=r.programme, family=r.family, first_day=r.first_day.date(),
             last_day=r.last_day.date())
        for r in coverage.itertuples()
    ]  # fmt: skip
    if rows:
        session.execute(pub.Coverage.__table__.insert(), rows)


def _write_cells(session: Session, release_id: str, cells: pd.DataFrame) -> None:
    columns = ["figure", "programme", "period", *DIMENSIONS, "value", "status", "reason"]
    frame = cells[columns].astype(object).where(cells[columns].notna(), None)
    records = [
        dict(zip(columns, row, strict=True), release_id=release_id) for row in frame.itertuples(index=False, name=None)
    ]
    session.execute(pub.Cell.__table__.insert(), records)
