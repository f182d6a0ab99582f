"""Engines for the two stores. Nothing connects at import time: callers pass a URL."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine


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

        return engine
    if read_only:
        return create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"options": "-c default_transaction_read_only=on -c statement_timeout=10000"},
        )
    return create_engine(url, pool_pre_ping=True)
