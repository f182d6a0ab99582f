"""The pipeline every kind runs: read -> choose the header -> check every row -> write.

``FileLoad.run`` opens the file (loaders/reading.py), matches its header to the kind's columns
(loaders/headers.py), checks every row through the kind's row function (loaders/rows.py,
cells parsed by loaders/cells.py and loaders/personal.py) and writes the good rows in one
transaction (loaders/store.py); bad rows go to ``FILE.rejects.csv`` (loaders/rejects.py).
What a load promises (repeatability, failed loads) is in loaders/__init__.py.

Nothing personal is ever logged or put into an exception message: messages name the file,
the column and the reason; values appear only masked, and only in the rejects file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from loaders import columnar
from loaders.cells import DateCells
from loaders.headers import HeaderMap, choose_header
from loaders.kinds import Context, KindSpec, norm_ref
from loaders.messages import KeyMismatch, UnusableFile
from loaders.platforms import project_index
from loaders.reading import Table, open_table, sha256_file
from loaders.rejects import RejectsWriter
from loaders.results import LoadResult, StrictRejected, all_rows_rejected
from loaders.rows import RowCheck
from loaders.store import LoadTransaction
from portal.i18n import t
from portal.pseudonym import fast_pseudonymiser, fingerprint

log = logging.getLogger("loaders")


class FileLoad:
    """One file's load, step by step (``run``), and what the steps share: all of the file's good
    rows go into the working store, or none."""

    def __init__(self, spec: KindSpec, path: Path, key: bytes | str, lang: str):
        if isinstance(key, str):
            key = key.encode()
        if not key:
            raise UnusableFile(t("loader.no_key", lang))
        self.spec = spec
        self.path = path
        self.file_label = path.name
        self.lang = lang
        self.pseudonym = fast_pseudonymiser(key)
        self.fingerprint = fingerprint(key)
        self.ignored: tuple[str, ...] = ()  # headers not recognised (reported once)

    def run(self, engine, sheet: str | None, *, strict: bool, is_sample: bool) -> LoadResult:
        spec = self.spec
        table = open_table(self.path, self.file_label, self.lang, sheet)
        self.rejects = RejectsWriter(self.path, self.lang, row_label=table.row_label)
        self.not_paid = RejectsWriter(self.path, self.lang, suffix=".not-paid.csv", row_label=table.row_label)
        store: LoadTransaction | None = None
        try:
            hmap, rows = self.header(table)
            digest = sha256_file(self.path)
            store = LoadTransaction(engine)
            store.begin()
            self.check_key(store)
            previous = store.previous_batch(digest, spec.kind)
            if previous is not None and previous[2] == 0:  # loaded before without a reject: skipped
                store.rollback()
                return self.result(previous[0], 0, 0, None, unchanged=True, platform=spec.platform)
            ctx = self.context(store.cur)
            batch_id = store.add_batch(spec.kind, self.file_label, digest)
            n_rows, loaded, changes = self.check_rows(store, ctx, batch_id, table, hmap, rows)
            return self.finish(store, batch_id, n_rows, loaded, changes, previous, strict=strict, is_sample=is_sample)
        except BaseException:
            if store is not None:
                store.abandon()
            self.rejects.discard()
            self.not_paid.discard()
            raise
        finally:
            table.close()
            if store is not None:
                store.close()

    def check_rows(
        self, store: LoadTransaction, ctx: Context, batch_id: int, table: Table, hmap: HeaderMap, rows
    ) -> tuple[int, int, int]:
        """Checks and writes every row: (rows, loaded, changes). A donations CSV simple enough is
        read a column at a time (loaders/columnar.py), any other file row by row; both load and
        reject the same rows."""
        spec = self.spec
        person_at = spec.out_cols.index(spec.person_col) if spec.person_col else None
        make_check = lambda: RowCheck(  # noqa: E731
            spec,
            hmap,
            spec.make_row(ctx, hmap.positions),
            store.writer(spec.table, spec.out_cols, spec.key, batch_id, person_at),
            self.rejects,
            self.not_paid,
            self.lang,
        )
        how = columnar.plan(spec, table, hmap, self.path, self.file_label, self.lang)
        if how is not None:
            check = make_check()
            store.savepoint()
            try:
                n_rows, loaded = columnar.ColumnLoad(how, check, ctx, hmap).run()
                return n_rows, loaded, check.writer.close()
            except columnar.Fallback as why:
                log.debug("%s read row by row (%s)", self.file_label, why)
                store.rollback_to_savepoint()
                for lists in (self.rejects, self.not_paid):
                    lists.discard()
                self.rejects = RejectsWriter(self.path, self.lang, row_label=table.row_label)
                self.not_paid = RejectsWriter(self.path, self.lang, suffix=".not-paid.csv", row_label=table.row_label)
        check = make_check()
        n_rows, loaded = check.run(rows, table.on_error)
        return n_rows, loaded, check.writer.close()

    def header(self, table: Table) -> tuple[HeaderMap, Any]:
        """The file's header mapped to the kind's columns, and the data rows after it."""
        if not table.header:
            raise UnusableFile(t("loader.empty_file", self.lang, file=self.file_label))
        hmap, rows = choose_header(self.spec, table, self.file_label, self.lang)
        self.ignored = hmap.ignored
        if hmap.ignored:
            log.warning(t("loader.ignored_columns", self.lang, file=self.file_label, columns="、".join(hmap.ignored)))
        return hmap, rows

    def check_key(self, store: LoadTransaction) -> None:
        """Refuses a store that holds data under another pseudonym key (its people would split)."""
        stored = store.key_fingerprint(self.lang)
        if stored is not None and stored != self.fingerprint:
            current = self.fingerprint[:8]
            raise KeyMismatch(
                t("loader.key_mismatch", self.lang, file=self.file_label, stored=stored[:8], current=current)
            )

    def context(self, cur) -> Context:
        ctx = Context(
            lang=self.lang, pseudonym=self.pseudonym, dates=DateCells(), programmes={}, regions={}, register={}
        )
        if self.spec.needs_reference:
            load_reference(cur, ctx, self.spec)
        return ctx

    def finish(
        self,
        store: LoadTransaction,
        batch_id: int,
        n_rows: int,
        loaded: int,
        changes: int,
        previous: tuple | None,
        *,
        strict: bool,
        is_sample: bool,
    ) -> LoadResult:
        """Commits the batch, or rolls it back when the file changes nothing or fails as a whole."""
        # the unpaid orders are a fact of the file whatever becomes of the load: listed now
        paid_not = {
            "platform": self.spec.platform,
            "not_paid": self.not_paid.count,
            "not_paid_file": self.not_paid.finish(),
        }
        if n_rows == 0 and self.not_paid.count:
            # Every order is unpaid: nothing to load and nothing wrong; the list says which.
            store.rollback()
            self.rejects.finish()
            return self.result(0, 0, 0, None, **paid_not)
        if n_rows == 0:
            raise UnusableFile(t("loader.no_data_rows", self.lang, file=self.file_label))
        rejected = self.rejects.count
        if loaded == 0:
            # Every row was rejected: a failed load, not an empty batch. Nothing is written
            # (the batch row and meta go with the rollback); the rejects file says why.
            store.rollback()
            result = self.result(n_rows, 0, rejected, self.rejects.finish(), **paid_not)
            raise all_rows_rejected(result, self.rejects.reasons, self.file_label, self.lang)
        if strict and rejected:
            store.rollback()
            raise StrictRejected(self.result(n_rows, 0, rejected, self.rejects.finish(), **paid_not))
        if changes == 0 and previous is not None:
            # Loaded before and nothing differs: no batch is recorded. The rows that were bad
            # are still bad, so they are still listed.
            store.rollback()
            return self.result(n_rows, 0, rejected, self.rejects.finish(), unchanged=True, **paid_not)
        store.commit_batch(batch_id, n_rows, loaded, rejected, self.fingerprint, "sample" if is_sample else "real")
        result = self.result(n_rows, loaded, rejected, self.rejects.finish(), batch_id=batch_id, **paid_not)
        log.info(
            "loaded %s %s: rows=%d loaded=%d rejected=%d batch=%d",
            self.spec.kind,
            self.file_label,
            n_rows,
            loaded,
            rejected,
            batch_id,
        )
        return result

    def result(self, rows: int, loaded: int, rejected: int, rejects_file: str | None, **more: Any) -> LoadResult:
        return LoadResult(
            self.spec.kind, str(self.path), rows, loaded, rejected, rejects_file, ignored_columns=self.ignored, **more
        )


def load_reference(cur, ctx: Context, spec: KindSpec) -> None:
    """What the row functions look names up in: programmes, regions, platform projects and, for
    the kinds that name a child, the children's register."""
    cur.execute("SELECT code, name_zh, name_en FROM programme")
    for code, zh, en in cur.fetchall():
        for k in (code, norm_ref(code), norm_ref(zh), norm_ref(en)):
            ctx.programmes.setdefault(k, code)
    cur.execute("SELECT code, name_zh, name_en FROM region")
    names: dict[str, set[str]] = {}
    for code, zh, en in cur.fetchall():
        ctx.regions[code] = code
        for k in {norm_ref(zh), norm_ref(en)}:
            names.setdefault(k, set()).add(code)
    for k, codes in names.items():
        if k not in ctx.regions:
            ctx.regions[k] = next(iter(codes)) if len(codes) == 1 else None
    if spec.platform is not None:
        cur.execute("SELECT code, platform_project_ids FROM programme")
        ctx.platform_projects.update(project_index(cur.fetchall()))
    if spec.kind in ("disbursements", "volunteer_hours"):
        cur.execute("SELECT c.programme, p.pseudonym, p.id, c.county FROM child c JOIN person p ON p.id = c.person_id")
        for programme, pseudonym, pid, county in cur.fetchall():
            ctx.register[(programme, pseudonym)] = (pid, county)
