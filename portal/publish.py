"""``portal publish``: every figure the portal can show, computed once.

The working store's rows are read as Arrow, one snapshot of it, and the whole cube (every
figure × programme and all programmes × the fixed period grid × each declared breakdown) is
computed by DuckDB (``portal.compute``), the same way whether the store is SQLite or
PostgreSQL. Small cells are then withheld (``portal.suppress``) and the release is written in
one transaction beside the previous ones, so a visitor never sees half a release."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal import cube, periods, receipts, scratch, suppress
from portal.compute import (  # noqa: F401 (publish's names for what it computes with)
    FACTS,
    AsOfOutOfRange,
    NothingToPublish,
    _cube_sql,
    _duckdb,
    _typed,
    compute_cube,
    load_facts,
    prepare,
)
from portal.db import checkpoint
from portal.models import published as pub
from portal.vocab import DIMENSIONS
from portal.working_rows import read_tables


@dataclass
class PublishResult:
    release_id: str
    as_of: dt.date
    k: int
    cells: int
    withheld: dict[str, int]  # by reason
    corrections: int
    receipts: int = 0  # gifts a donor can check in this release


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


def _release_id(session: Session, today: dt.date) -> str:
    prefix = today.isoformat()
    count = session.exec(select(func.count()).select_from(pub.Release).where(pub.Release.id.like(f"{prefix}.%")))
    return f"{prefix}.{count.scalar_one() + 1}"


def _corrections(
    previous: pub.Release, old: pd.DataFrame, new: pd.DataFrame, release_id: str, note: str | None
) -> list[dict]:
    """Cells of periods that were complete at the previous release's as-of and changed since."""
    complete = [p for p in set(old["period"]) if p != "all" and (pp := periods.parse(p)) and pp.end <= previous.as_of]
    old = old[old["period"].isin(complete)].assign(key=cube.cell_key)
    new = new[new["period"].isin(complete)].assign(key=cube.cell_key)
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


def _label(
    release_id: str, dimension: str, r, *, parent_code=None, started_on=None, description_zh=None, description_en=None
) -> dict:
    """A ``Label`` row of a programme or region of the reference data (``r``: its row)."""
    return dict(
        release_id=release_id,
        dimension=dimension,
        code=r.code,
        name_zh=r.name_zh,
        name_en=r.name_en,
        parent_code=parent_code,
        started_on=started_on,
        description_zh=description_zh,
        description_en=description_en,
    )


def _write_reference(session: Session, release_id: str, reference: dict[str, pd.DataFrame]) -> None:
    labels = [
        _label(
            release_id,
            "programme",
            r,
            started_on=pd.Timestamp(r.started_on).date() if r.started_on else None,
            description_zh=r.description_zh,
            description_en=r.description_en,
        )
        for r in reference["programmes"].itertuples()
    ]
    labels += [_label(release_id, "region", r, parent_code=r.parent_code) for r in reference["regions"].itertuples()]
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
        chunks = iter(lambda: new.fetchmany(100_000), [])
        _insert_rows(session, pub.Receipt.__table__, ["digest", "programme", "month", "release_id"], chunks)
    finally:
        con.close()
    return wanted


def _insert_rows(session: Session, table, columns: list[str], chunks: Iterable[list[tuple]]) -> None:
    """Insert rows, as tuples a chunk at a time, through the session's own connection (same
    transaction): SQLAlchemy's insert() with a dict per row cost more than the writing (at
    scale 1, the ≈ 44,000 cells: 0.4 s as dicts). Positional markers as the two stores'
    drivers take them (sqlite3: ?, psycopg: %s); on PostgreSQL by ``COPY``."""
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    if dialect.name == "postgresql":
        into = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(into) as copy:
            for rows in chunks:
                for row in rows:
                    copy.write_row(row)
        return
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})"
    )
    for rows in chunks:
        if rows:
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
    frame = cells[columns].astype(object).where(cells[columns].notna(), None).assign(release_id=release_id)
    rows = list(frame.itertuples(index=False, name=None))
    _insert_rows(session, pub.Cell.__table__, [*columns, "release_id"], [rows])
