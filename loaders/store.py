"""Writing to the working store: one transaction per file on the raw DBAPI connection.

``executemany`` in chunks; SQLite runs ``BEGIN IMMEDIATE`` with its foreign-key checks off and
a larger page cache, both restored before the connection goes back. Rows are upserted by key
and touch a stored row only when a value differs; pseudonyms become integer ``person.id``
surrogates; each load records a ``batch`` row, and the key's fingerprint and the data's origin
in ``meta``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from loaders.messages import UnusableFile
from portal.i18n import t

log = logging.getLogger("loaders")

SQLITE_CACHE_KIB = -65536  # page cache during a load (64 MiB, bounded): big files insert faster


@dataclass
class Dialect:
    name: str  # "sqlite" or "postgresql"
    ph: str  # placeholder

    def distinct(self, a: str, b: str) -> str:
        return f"{a} IS NOT {b}" if self.name == "sqlite" else f"{a} IS DISTINCT FROM {b}"


def upsert_sql(d: Dialect, table: str, cols: Sequence[str], key: Sequence[str]) -> str:
    """INSERT … ON CONFLICT (key) DO UPDATE only when some value differs: reloading a file
    changes nothing (not even ``batch_id``), a corrected row is updated in place."""
    values = ", ".join([d.ph] * len(cols))
    data_cols = [c for c in cols if c not in key and c != "batch_id"]
    sets = ", ".join(f"{c} = excluded.{c}" for c in [*data_cols, "batch_id"] if c in cols)
    where = " OR ".join(d.distinct(f"{table}.{c}", f"excluded.{c}") for c in data_cols)
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({values}) ON CONFLICT ({', '.join(key)}) "
    if not data_cols:
        return sql + "DO NOTHING"
    return sql + f"DO UPDATE SET {sets} WHERE {where}"


@dataclass
class Resolved:
    """Rows whose person is already a ``person.id`` (the column-at-a-time path)."""

    rows: Iterable[Sequence[Any]]


class ChunkWriter:
    """Writes chunks of a kind's rows by ``sql`` and sums the rows they changed, the people they
    created included. The pseudonym at ``person_at`` (when a kind has one) is first turned into
    its ``person.id``. (A background writer thread was measured: sqlite3 holds the GIL while
    binding, so it gained nothing.)"""

    def __init__(self, cur, d: Dialect, sql: str, person_at: int | None, target: tuple | None = None):
        self.cur = cur
        self.d = d
        self.sql = sql
        self.person_at = person_at
        self.persons = PersonIds(cur, d)
        self.changes = 0
        self.target = target  # (table, out_cols, key, batch_id): what ``bulk`` writes on PostgreSQL
        self._staging: str | None = None

    def put(self, rows: list[list[Any]] | Resolved) -> None:
        """Writes a chunk of rows (their pseudonyms turned into ids here), or ``Resolved`` rows
        by ``bulk``."""
        if rows.__class__ is Resolved:
            self.bulk(rows.rows)
            return
        at = self.person_at
        if at is not None:
            ids = self.persons.resolve({r[at] for r in rows if r[at] is not None})
            for r in rows:
                p = r[at]
                if p is not None:
                    r[at] = ids[p]
        self.cur.executemany(self.sql, rows)
        self.changes += max(self.cur.rowcount, 0)

    def bulk(self, rows: Iterable[Sequence[Any]]) -> None:
        """Writes rows whose person is already a ``person.id`` (loaders/columnar.py), with the same
        upsert as ``put``: on SQLite one executemany; on PostgreSQL COPY into a temporary table,
        then one INSERT … SELECT … ON CONFLICT from it (the same SET and WHERE)."""
        if self.d.name == "sqlite":
            self.cur.executemany(self.sql, rows)
            self.changes += max(self.cur.rowcount, 0)
            return
        table, out_cols, key, batch_id = self.target
        cur, cols = self.cur, ", ".join(out_cols)
        if self._staging is None:
            self._staging = f"load_{table}"
            cur.execute(f"CREATE TEMPORARY TABLE {self._staging} (LIKE {table}) ON COMMIT DROP")
        else:
            cur.execute(f"TRUNCATE {self._staging}")
        with cur.copy(f"COPY {self._staging} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        sql = upsert_sql(self.d, table, (*out_cols, "batch_id"), key)
        values = f"VALUES ({', '.join([self.d.ph] * (len(out_cols) + 1))})"
        cur.execute(sql.replace(values, f"SELECT {cols}, {int(batch_id)} FROM {self._staging}", 1))
        self.changes += max(cur.rowcount, 0)

    def close(self) -> int:
        return self.changes + self.persons.created


class PersonIds:
    """Pseudonym -> integer ``person.id``, created on first sight.

    While the person table fits in ``MAX_CACHE`` entries it is read once and misses are known
    to be new (no query per chunk); beyond that the cache is cleared (memory stays flat) and
    misses are resolved per chunk with IN queries."""

    MAX_CACHE = 400_000
    IN_CHUNK = 500

    def __init__(self, cur, d: Dialect):
        self.cur = cur
        self.d = d
        self.cache: dict[str, int] = {}
        self.complete = False  # the cache holds every person of the store
        self.created = 0
        self._next_id: int | None = None
        self._started = False
        self._staged = False

    def _start(self) -> None:
        self._started = True
        self.cur.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM person")
        count, max_id = self.cur.fetchone()
        self._next_id = max_id + 1
        if count <= self.MAX_CACHE // 2:
            self.cur.execute("SELECT pseudonym, id FROM person")
            self.cache.update(self.cur.fetchall())
            self.complete = True

    def _stage(self, pseudonyms: list[str]) -> None:
        """PostgreSQL: the pseudonyms COPYed into a temporary table (one round trip, not one
        statement per 500)."""
        if self._staged:
            self.cur.execute("TRUNCATE person_stage")
        else:
            self.cur.execute("CREATE TEMPORARY TABLE person_stage (pseudonym VARCHAR(64)) ON COMMIT DROP")
            self._staged = True
        with self.cur.copy("COPY person_stage (pseudonym) FROM STDIN") as copy:
            for p in pseudonyms:
                copy.write_row((p,))

    def _select(self, pseudonyms: list[str]) -> None:
        if self.d.name == "postgresql" and len(pseudonyms) > self.IN_CHUNK:
            self._stage(pseudonyms)
            self.cur.execute("SELECT p.pseudonym, p.id FROM person p JOIN person_stage s ON s.pseudonym = p.pseudonym")
            self.cache.update(self.cur.fetchall())
            return
        for i in range(0, len(pseudonyms), self.IN_CHUNK):
            part = pseudonyms[i : i + self.IN_CHUNK]
            marks = ", ".join([self.d.ph] * len(part))
            self.cur.execute(f"SELECT pseudonym, id FROM person WHERE pseudonym IN ({marks})", part)
            self.cache.update(self.cur.fetchall())

    def resolve(self, pseudonyms: set[str]) -> dict[str, int]:
        if not self._started:
            self._start()
        if len(self.cache) + len(pseudonyms) > self.MAX_CACHE:
            self.cache.clear()
            self.complete = False
        cache = self.cache
        missing = [p for p in pseudonyms if p not in cache]
        if missing:
            if not self.complete:
                self._select(missing)
                missing = [p for p in missing if p not in cache]
            if missing:
                missing.sort()  # the pseudonym index is filled in order (a third faster than at random)
                if self.d.name == "sqlite":
                    # Inside BEGIN IMMEDIATE nobody else writes: hand out ids ourselves.
                    rows = [(self._next_id + i, p) for i, p in enumerate(missing)]
                    self._next_id += len(missing)
                    self.cur.executemany("INSERT INTO person (id, pseudonym) VALUES (?, ?)", rows)
                    cache.update((p, i) for i, p in rows)
                elif len(missing) > self.IN_CHUNK:
                    self._stage(missing)
                    self.cur.execute(
                        "INSERT INTO person (pseudonym) SELECT pseudonym FROM person_stage "
                        "ON CONFLICT (pseudonym) DO NOTHING"
                    )
                    self.cur.execute(
                        "SELECT p.pseudonym, p.id FROM person p JOIN person_stage s ON s.pseudonym = p.pseudonym"
                    )
                    cache.update(self.cur.fetchall())
                else:
                    self.cur.executemany(
                        "INSERT INTO person (pseudonym) VALUES (%s) ON CONFLICT (pseudonym) DO NOTHING",
                        [(p,) for p in missing],
                    )
                    self._select(missing)
                self.created += len(missing)
        return cache


def dialect_of(engine) -> Dialect:
    name = engine.dialect.name
    return Dialect("sqlite", "?") if name == "sqlite" else Dialect("postgresql", "%s")


class LoadTransaction:
    """One load's transaction on the engine's raw DBAPI connection. ``begin`` it, then
    ``commit_batch`` or ``rollback``; ``close`` it whatever happened."""

    def __init__(self, engine):
        self.d = dialect_of(engine)
        self.raw = engine.raw_connection()
        self.dbapi = self.raw.driver_connection
        self.cur = None
        self._old_isolation = None
        self._old_cache = None

    def begin(self) -> None:
        dbapi = self.dbapi
        cur = self.cur = dbapi.cursor()
        if self.d.name == "sqlite":
            if dbapi.in_transaction:
                dbapi.rollback()
            self._old_isolation = dbapi.isolation_level
            dbapi.isolation_level = None
            # Every reference (programme, region, person, batch) is checked by the loader
            # against the store inside this transaction, so SQLite need not check it again
            # row by row (~8% of the insert). Restored before the connection goes back.
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.execute("PRAGMA cache_size")
            self._old_cache = cur.fetchone()[0]
            cur.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
            cur.execute("BEGIN IMMEDIATE")

    def key_fingerprint(self, lang: str) -> str | None:
        """The fingerprint of the pseudonym key the store holds data under (None: no load yet)."""
        try:
            self.cur.execute(f"SELECT value FROM meta WHERE key = {self.d.ph}", ("key_fingerprint",))
        except Exception as exc:
            if self.d.name == "postgresql":
                self.dbapi.rollback()
            raise UnusableFile(t("loader.not_initialised", lang)) from exc
        stored = self.cur.fetchone()
        return stored[0] if stored else None

    def previous_batch(self, digest: str, kind: str) -> tuple[int, int, int] | None:
        """(rows, loaded, rejected) of the last load of the same file as the same kind."""
        ph = self.d.ph
        self.cur.execute(
            f"SELECT rows, loaded, rejected FROM batch WHERE sha256 = {ph} AND kind = {ph} ORDER BY id DESC LIMIT 1",
            (digest, kind),
        )
        return self.cur.fetchone()

    def add_batch(self, kind: str, file_label: str, digest: str) -> int:
        """The batch row of this load (its counts are written by ``commit_batch``); its id."""
        d = self.d
        now = dt.datetime.now(dt.UTC)
        if d.name == "sqlite":
            now = now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        sql = (
            "INSERT INTO batch (kind, file_name, sha256, rows, loaded, rejected, loaded_at) "
            f"VALUES ({d.ph}, {d.ph}, {d.ph}, 0, 0, 0, {d.ph})"
        )
        if d.name == "sqlite":
            self.cur.execute(sql, (kind, file_label[:255], digest, now))
            return int(self.cur.lastrowid)
        self.cur.execute(sql + " RETURNING id", (kind, file_label[:255], digest, now))
        return int(self.cur.fetchone()[0])

    def writer(
        self, table: str, out_cols: Sequence[str], key: Sequence[str], batch_id: int, person_at: int | None
    ) -> ChunkWriter:
        """A writer of ``table``'s rows (``out_cols`` in order), the batch id written into the SQL
        (one value fewer to bind a row)."""
        d = self.d
        cols = (*out_cols, "batch_id")
        sql = upsert_sql(d, table, cols, key).replace(
            f"VALUES ({', '.join([d.ph] * len(cols))})",
            f"VALUES ({', '.join([d.ph] * len(out_cols))}, {batch_id})",
            1,
        )
        return ChunkWriter(self.cur, d, sql, person_at, (table, out_cols, key, batch_id))

    def savepoint(self) -> None:
        self.cur.execute("SAVEPOINT columnar")

    def rollback_to_savepoint(self) -> None:
        """Undoes what was written since ``savepoint`` (the transaction goes on)."""
        self.cur.execute("ROLLBACK TO SAVEPOINT columnar")

    def commit_batch(self, batch_id: int, rows: int, loaded: int, rejected: int, fingerprint: str, origin: str) -> None:
        """The batch's counts, the key's fingerprint and the data's origin, then commit."""
        ph = self.d.ph
        self.cur.execute(
            f"UPDATE batch SET rows = {ph}, loaded = {ph}, rejected = {ph} WHERE id = {ph}",
            (rows, loaded, rejected, batch_id),
        )
        meta_sql = (
            f"INSERT INTO meta (key, value) VALUES ({ph}, {ph}) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        self.cur.executemany(meta_sql, [("key_fingerprint", fingerprint), ("data_origin", origin)])
        self.dbapi.commit()

    def rollback(self) -> None:
        self.dbapi.rollback()

    def abandon(self) -> None:
        """Rolls back after a failure; a failing rollback is logged, never raised over the failure."""
        try:
            self.dbapi.rollback()
        except Exception:
            log.debug("rollback failed", exc_info=True)

    def close(self) -> None:
        """Gives the connection back as it was lent (SQLite's settings restored)."""
        if self._old_isolation is not None:
            self.dbapi.cursor().execute("PRAGMA foreign_keys=ON")
            if self._old_cache is not None:
                self.dbapi.cursor().execute(f"PRAGMA cache_size={int(self._old_cache)}")
            self.dbapi.isolation_level = self._old_isolation
        self.raw.close()
