"""The working store's facts as publish reads them: one table per data family (integer keys,
fen, seconds), typed for DuckDB whatever the store gave."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from sqlalchemy.engine import Engine

from portal.figures import DATA_FAMILIES
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
assert set(FACTS) == set(DATA_FAMILIES), "every data family has its facts"


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
