"""Reading the working store's rows as Arrow, the same way for SQLite and PostgreSQL.

ADBC drivers hand over columnar batches without building a Python object per value. The ADBC
SQLite driver links its own copy of SQLite, and two copies of SQLite in one process do not
see each other's POSIX locks (closing one file handle drops the other's locks: "disk I/O
error", or worse, a corrupt store). So for SQLite the reading happens in a child process,
which hands the tables back as Arrow IPC files that this process memory-maps. Where a driver
is missing, SQLAlchemy reads the rows instead (slower, same result)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url


def _adbc_sqlite_tables(database: str, queries: dict[str, str], out_dir: str) -> None:
    """In the child: run each query through ADBC and write it as an Arrow IPC file."""
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(database) as connection, connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            table = cursor.fetch_arrow_table()
            with (
                pa.OSFile(str(Path(out_dir) / f"{name}.arrow"), "wb") as sink,
                pa.ipc.new_file(sink, table.schema) as writer,
            ):
                writer.write_table(table)


def _read_sqlite(database: str, queries: dict[str, str]) -> dict[str, pa.Table] | None:
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return None
    out_dir = tempfile.mkdtemp(prefix="portal-rows-")
    # a plain child interpreter: unlike multiprocessing's spawn it never re-imports the caller
    done = subprocess.run(
        [sys.executable, "-m", "portal.working_rows", database, out_dir],
        input=json.dumps(queries),
        text=True,
        capture_output=True,
    )
    if done.returncode != 0:
        shutil.rmtree(out_dir, ignore_errors=True)
        last_line = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        raise RuntimeError(f"reading the working store failed: {last_line}")
    tables = {}
    for name in queries:
        path = Path(out_dir) / f"{name}.arrow"
        tables[name] = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
        path.unlink()  # the mapping keeps the data readable until the table is dropped
    Path(out_dir).rmdir()
    return tables


def _read_postgresql(engine: Engine, queries: dict[str, str]) -> dict[str, pa.Table] | None:
    try:
        import adbc_driver_postgresql.dbapi as adbc
    except ImportError:
        return None
    plain = make_url(engine.url).set(drivername="postgresql").render_as_string(hide_password=False)
    tables = {}
    with adbc.connect(plain) as connection, connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            tables[name] = cursor.fetch_arrow_table()
    return tables


def _read_sqlalchemy(engine: Engine, sql: str) -> pa.Table:
    with engine.connect() as conn:
        result = conn.execute(text(sql))
        names = list(result.keys())
        rows = result.all()
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})


def read_tables(engine: Engine, queries: dict[str, str]) -> dict[str, pa.Table]:
    """Each query's rows as an Arrow table."""
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
