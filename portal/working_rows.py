"""Reading the working store's rows as Arrow, the same way for SQLite and PostgreSQL.

ADBC drivers hand over columnar batches without building a Python object per value. The ADBC
SQLite driver links its own copy of SQLite, and two copies of SQLite in one process do not
see each other's POSIX locks (closing one file handle drops the other's locks: "disk I/O
error", or worse, a corrupt store). So for SQLite the reading happens in a child process,
which hands the tables back as Arrow IPC files that this process memory-maps. Where a driver
is missing, SQLAlchemy reads the rows instead (slower, same result)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:  # the child reading SQLite must not pay for importing SQLAlchemy
    from sqlalchemy.engine import Engine


def _adbc_sqlite_tables(database: str, queries: dict[str, str], out_dir: str) -> None:
    """In the child: run each query through ADBC and write it as an Arrow IPC file. The
    driver's low-level API, not its DB-API: that one imports pandas, and this child must
    start fast, as publish starts one per table."""
    import adbc_driver_manager
    import adbc_driver_sqlite

    with (
        adbc_driver_sqlite.connect(database) as db,
        adbc_driver_manager.AdbcConnection(db) as connection,
    ):
        for name, sql in queries.items():
            with adbc_driver_manager.AdbcStatement(connection) as statement:
                statement.set_sql_query(sql)
                stream, _ = statement.execute_query()
                reader = pa.RecordBatchReader._import_from_c(stream.address)
                with (
                    pa.OSFile(str(Path(out_dir) / f"{name}.arrow"), "wb") as sink,
                    pa.ipc.new_file(sink, reader.schema) as writer,
                ):
                    for batch in reader:
                        writer.write_batch(batch)


def _read_sqlite(database: str, queries: dict[str, str]) -> dict[str, pa.Table] | None:
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return None
    from portal import scratch  # not at the top: the child must start without pydantic

    with scratch.folder("rows") as folder:
        return _read_sqlite_into(database, queries, str(folder))


# below this, one child reads every table: starting a child (Python, pyarrow, ADBC) costs more
# than reading a small store's tables one after another (scale 1: 0.5 s for four children)
ONE_CHILD_BYTES = 64 * 1024 * 1024


def _read_sqlite_into(database: str, queries: dict[str, str], out_dir: str) -> dict[str, pa.Table]:
    # one plain child interpreter per query, all at once (SQLite readers do not block each
    # other, and at 10M rows reading is a quarter of publish); unlike multiprocessing's spawn
    # a plain child never re-imports the caller
    if Path(database).stat().st_size < ONE_CHILD_BYTES:
        groups = [queries]
    else:
        groups = [{name: sql} for name, sql in queries.items()]
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "portal.working_rows", database, out_dir],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in groups
    ]
    for group, child in zip(groups, children, strict=True):  # every child its queries first: all run at once
        child.stdin.write(json.dumps(group))
        child.stdin.close()
    errors = []
    for child in children:
        stderr = child.stderr.read()
        if child.wait() != 0:
            errors.append(stderr.strip().splitlines()[-1] if stderr.strip() else "")
    if errors:
        raise RuntimeError(f"reading the working store failed: {errors[0]}")
    tables = {}
    for name in queries:
        path = Path(out_dir) / f"{name}.arrow"
        tables[name] = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
        path.unlink()  # the mapping keeps the data readable until the table is dropped
    return tables


def _read_postgresql(engine: Engine, queries: dict[str, str]) -> dict[str, pa.Table] | None:
    try:
        import adbc_driver_postgresql.dbapi as adbc
    except ImportError:
        return None
    from sqlalchemy.engine import make_url

    plain = make_url(engine.url).set(drivername="postgresql").render_as_string(hide_password=False)
    tables = {}
    with adbc.connect(plain) as connection, connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            tables[name] = cursor.fetch_arrow_table()
    return tables


def _read_sqlalchemy(engine: Engine, sql: str) -> pa.Table:
    from sqlalchemy import text

    with engine.connect() as conn:
        result = conn.execute(text(sql))
        names = list(result.keys())
        rows = result.all()
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})


def read_tables(engine: Engine, queries: dict[str, str]) -> dict[str, pa.Table]:
    """Each query's rows as an Arrow table."""
    from sqlalchemy.engine import make_url

    url = make_url(engine.url)
    backend = url.get_backend_name()
    tables = None
    if backend == "sqlite" and url.database:
        tables = _read_sqlite(url.database, queries)
    elif backend == "postgresql":
        tables = _read_postgresql(engine, queries)
    if tables is None:
        tables = {name: _read_sqlalchemy(engine, sql) for name, sql in queries.items()}
    return tables


def read_arrow(engine: Engine, sql: str) -> pa.Table:
    return read_tables(engine, {"rows": sql})["rows"]


if __name__ == "__main__":  # the child of _read_sqlite: python -m portal.working_rows DATABASE OUT_DIR
    _adbc_sqlite_tables(sys.argv[1], json.loads(sys.stdin.read()), sys.argv[2])
