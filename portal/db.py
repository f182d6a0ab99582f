"""Engines for the two stores. Nothing connects at import time: callers pass a URL."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

# the longest a portal query may run: a page reads a few thousand cells by index, so a query
# that runs longer is a bug or an attack, and must not hold a server thread
QUERY_LIMIT_S = 10.0


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine for a store URL. SQLite files run in WAL mode so that the portal keeps
    reading one release while publish writes the next; ``read_only`` opens SQLite with
    ``mode=ro`` and PostgreSQL sessions as read-only transactions."""
    if is_sqlite(url):
        database = make_url(url).database
        if read_only and database:
            engine = create_engine(
                f"sqlite:///file:{database}?mode=ro&uri=true",
                connect_args={"check_same_thread": False},
            )
        else:
            engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            if not read_only:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
            if read_only:  # SQLite has no statement timeout: a progress handler interrupts instead
                started = _record.info["query_started"] = [time.monotonic()]
                dbapi_connection.set_progress_handler(lambda: time.monotonic() - started[0] > QUERY_LIMIT_S, 10_000)

        if read_only:

            @event.listens_for(engine, "before_cursor_execute")
            def _clock(connection, _cursor, _statement, _parameters, _context, _executemany):
                connection.connection.info["query_started"][0] = time.monotonic()

        return engine
    if read_only:
        return create_engine(
            url,
            pool_pre_ping=True,
            connect_args={
                "options": f"-c default_transaction_read_only=on -c statement_timeout={int(QUERY_LIMIT_S * 1000)}"
            },
        )
    return create_engine(url, pool_pre_ping=True)


def checkpoint(engine: Engine) -> None:
    """Fold a SQLite store's write-ahead log into its file, so the ``.db`` file alone holds
    every committed release (a replica copied from it, or a file left after a failure, is
    whole). Nothing to do for PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def copy_sqlite(url: str, destination: Path) -> None:
    """A consistent copy of a SQLite store through SQLite's backup API (a plain file copy of a
    store in WAL mode can miss what is still in the log, or catch a page mid-write), written
    beside ``destination`` and renamed into place."""
    import os
    import sqlite3

    partial = destination.with_name(destination.name + ".part")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{make_url(url).database}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
    finally:
        source.close()
    os.replace(partial, destination)
