"""Reading the working store's rows as Arrow, the same way for SQLite and PostgreSQL.

ADBC drivers hand over columnar batches without building a Python object per value; where a
driver is missing we fall back to SQLAlchemy (slower, same result)."""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url


def _adbc_connect(engine: Engine):
    url = make_url(engine.url)
    backend = url.get_backend_name()
    try:
        if backend == "sqlite":
            import adbc_driver_sqlite.dbapi as adbc

            return adbc.connect(url.database)
        if backend == "postgresql":
            import adbc_driver_postgresql.dbapi as adbc

            plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
            return adbc.connect(plain)
    except ImportError:
        return None
    return None


def read_arrow(engine: Engine, sql: str) -> pa.Table:
    connection = _adbc_connect(engine)
    if connection is not None:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql)
            table = cursor.fetch_arrow_table()
        if table.num_rows or table.num_columns:
            return table
    with engine.connect() as conn:
        result = conn.execute(text(sql))
        names = list(result.keys())
        rows = result.all()
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})
