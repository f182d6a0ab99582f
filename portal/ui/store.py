"""The one module of the portal that caches: the read-only engine (``st.cache_resource``) and
everything read from the published store, cached per release id (bounded: ``shared``, handed
out without a copy, for what every page view reads; ``st.cache_data`` for the rest), plus the
per-view cache of built blocks. The rest of ``portal.ui`` reads through here."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from portal import pseudonym, queries, stores
from portal.coverage import Coverage
from portal.db import is_sqlite, make_engine
from portal.settings import get_settings

log = logging.getLogger("portal.ui")


class StoreUnavailable(Exception):
    """The published store exists but cannot be read (a corrupt file, a server down)."""


class Shared:
    """A bounded, least-recently-used map of values every session reads and none changes:
    handed out as they are, not copied. ``st.cache_data`` unpickles a fresh copy of each value
    on every read, and hashes its arguments with its own hasher: for the 20-30 blocks of a page
    that was about a quarter of a cached page view's server CPU (py-spy on a live server under
    load; bench.bench_api --baseline)."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = build()  # outside the lock: two sessions may build one view at once, both alike
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def shared(max_entries: int) -> Callable[[Callable], Callable]:
    """``st.cache_data`` without the copy, for what is read from a release (immutable under its
    id) on every page view and never changed by a page: one ``Shared`` per function."""

    def wrap(function: Callable) -> Callable:
        values = Shared(max_entries)
        _CACHES.append(values)

        @functools.wraps(function)
        def read(*args):
            return values.get(args, lambda: function(*args))

        return read

    return wrap


_CACHES: list[Shared] = []


@st.cache_resource(show_spinner=False)
def engine(url: str):
    return make_engine(url, read_only=True)


def url() -> str:
    return get_settings().published_store_url


@st.cache_data(ttl=30, show_spinner=False, max_entries=4)
def release(url: str) -> queries.ReleaseInfo | None:
    """The release to show: the newest one built under a key this deployment
    trusts (a newer untrusted one is passed over and named in the log); the newest of all when
    none is trusted (``chrome`` then refuses it); None when the store is missing or empty."""
    if is_sqlite(url):
        from sqlalchemy.engine import make_url

        database = make_url(url).database
        if not database or not Path(database).exists():
            return None
    settings = get_settings()
    try:
        store = engine(url)
        if not stores.is_initialised(store):  # created, never published to: the empty page
            return None
        found, skipped = queries.trusted_release(
            engine=store, trusted=lambda fp: not pseudonym.untrusted_release(fp, settings)
        )
    except Exception as exc:  # a corrupt file, a server down: not "no data yet"
        raise StoreUnavailable(type(exc).__name__) from exc
    if skipped and found is not None:
        log.error(
            "passing over release(s) %s built under an untrusted key (%s); showing release %s",
            ", ".join(r.id for r in skipped),
            ", ".join(sorted({r.key_fingerprint or "none" for r in skipped})),
            found.id,
        )
    return found or (skipped[0] if skipped else None)


@shared(max_entries=256)
def cells(url: str, release_id: str, figures: tuple[str, ...], programme: str, period_keys: tuple[str, ...]):
    frame = queries.cells(
        engine=engine(url), release_id=release_id, figures=figures, programme=programme, periods=period_keys
    )
    # plain object columns: pages filter these frames many times a run, and pandas' Arrow-backed
    # strings make every boolean filter a costly take
    text = [c for c in frame.columns if c != "value"]
    return frame.astype({c: object for c in text})


@shared(max_entries=16)
def labels(url: str, release_id: str) -> pd.DataFrame:
    return queries.labels(engine=engine(url), release_id=release_id)


@shared(max_entries=16)
def names(url: str, release_id: str) -> dict[tuple[str, str], tuple[str, str]]:
    """{(dimension, code): (name_zh, name_en)} of the release's labels (the pages' ``ctx.names``)."""
    return {(r.dimension, r.code): (r.name_zh, r.name_en) for r in labels(url, release_id).itertuples()}


@shared(max_entries=16)
def standards(url: str, release_id: str) -> pd.DataFrame:
    return queries.standards(engine=engine(url), release_id=release_id)


@shared(max_entries=16)
def periods(url: str, release_id: str) -> list[str]:
    return queries.periods(engine=engine(url), release_id=release_id)


@shared(max_entries=16)
def coverage(url: str, release_id: str, as_of: dt.date) -> Coverage:
    return queries.programme_coverage(engine=engine(url), release_id=release_id, as_of=as_of)


@shared(max_entries=64)
def regions(url: str, release_id: str, programme: str) -> list[str]:
    return queries.regions(engine=engine(url), release_id=release_id, programme=programme)


@st.cache_data(max_entries=16, show_spinner=False)
def history(url: str, release_id: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    store = engine(url)
    rels = queries.releases(engine=store)
    frame = pd.DataFrame(
        [(r.id, r.created_at, r.as_of, r.k, r.is_sample, r.note) for r in rels],
        columns=["id", "created_at", "as_of", "k", "is_sample", "note"],
    )
    return (
        frame,
        queries.release_batches(engine=store, release_id=release_id),
        queries.corrections(engine=store),
    )


@st.cache_resource(show_spinner=False, max_entries=3)
def lookup_index(url: str, release_id: str):
    from portal import lookup

    store = engine(url)
    found = queries.release(engine=store, release_id=release_id)
    if found is None:
        return None
    labels_ = queries.labels(engine=store, release_id=release_id)
    return lookup.Index(queries.cells(engine=store, release_id=release_id), labels_, found)


@st.cache_data(show_spinner=False, max_entries=6)
def release_file(url: str, release_id: str, kind: str, lang: str, base: str) -> bytes:
    """A whole release as csv, xlsx or json, or its data package (whose CSV is at ``base``)."""
    from portal import export, open_data

    store = engine(url)
    found = queries.release(engine=store, release_id=release_id)
    if kind == "datapackage":
        csv_url = f"{base}/api/v1/figures.csv?release={release_id}"
        return open_data.dumps(open_data.datapackage(found, csv_url=csv_url, portal_url=base))
    cells_ = queries.cells(engine=store, release_id=release_id)
    if kind == "json":
        return export.to_json(found, cells_).encode("utf-8")
    labels_ = queries.labels(engine=store, release_id=release_id)
    if kind == "csv":
        return export.to_csv(cells_, labels_)
    return export.to_xlsx(found, cells_, labels_, lang=lang)


@st.cache_data(show_spinner=False, max_entries=32)
def board(url: str, release_id: str, programme: str, period: str):
    from portal import board as boards

    return boards.build(engine(url), period=period, programme=programme, release_id=release_id)


@st.cache_data(show_spinner=False, max_entries=8)
def board_pack(url: str, release_id: str, programme: str, period: str, lang: str, base: str) -> bytes:
    from portal import board_pack as packs

    view = board(url, release_id, programme, period)
    return packs.build(view, lang, base_url=base, author=get_settings().publisher or "").pdf


@st.cache_resource(show_spinner=False)
def attempt_log():
    """The receipt checks of every session of this process (``receipts.AttemptLog``)."""
    from portal import receipts

    return receipts.AttemptLog(receipts.ATTEMPTS, receipts.WINDOW_S)


VIEWS = Shared(4096)
_CACHES.append(VIEWS)


def per_view(identity: tuple, build: Callable[[], Any]) -> Any:
    """What ``build`` returns, once per ``identity`` (``state.Context.identity``): everything
    ``build`` reads (store, release, the visitor's view, the block). Building charts and
    picking headline cells was most of a page's CPU time; with this a page seen before is drawn
    from dictionaries. The value is shared, not copied: nothing may change it after ``build``."""
    return VIEWS.get(identity, build)


def clear() -> None:
    """Forget every view built and every release's data read through ``shared``
    (``st.cache_data.clear()`` leaves them as they are)."""
    for values in _CACHES:
        values.clear()
