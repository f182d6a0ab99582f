"""Many visitors: two replicas behind nginx on loopback, driven through Streamlit's own
websocket protocol; and a re-publish while visitors are on the site."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench import loadtest, replicas
from portal import publish


def _require_nginx() -> None:
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("nginx is not installed: CI must run the replica smoke test")
    pytest.skip("nginx is not installed")


def _sqlite_store(deployment) -> Path:
    return Path(make_url(deployment.settings.published_store_url).database)


# the recipe ships the immutable SQLite file to each replica (PostgreSQL replicas share one server)
SQLITE_ONLY = pytest.mark.parametrize("sample_store", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_two_replicas_behind_nginx_serve_every_page(sample_store):
    _require_nginx()
    store = _sqlite_store(sample_store)
    with replicas.cluster(store, 2) as (url, pids):
        assert len(pids) == 2
        run = asyncio.run(loadtest.run(url, 2 * len(loadtest.PAGES), 1, 120.0, pids))
    assert run.errors == 0
    assert run.views == 2 * len(loadtest.PAGES)
    assert run.cpu_seconds > 0  # the replicas did the work


@SQLITE_ONLY
def test_republish_while_visitors_read(sample_store, tmp_path):
    """Each page view names exactly one release: the old or the new one, never a mix."""
    _require_nginx()
    store = tmp_path / "portal.db"
    shutil.copyfile(_sqlite_store(sample_store), store)
    with replicas.cluster(store, 1, copy=False) as (url, _):
        seen: list[set] = []
        errors: list[BaseException] = []

        async def visit(i: int) -> None:
            page = loadtest.PAGES[i % len(loadtest.PAGES)]
            releases: set = set()
            try:
                await loadtest.page_view(url, page, "", 120.0, releases)
            except Exception as exc:  # counted below: any error fails the test
                errors.append(exc)
            seen.append(releases)

        async def visitors() -> None:
            await asyncio.gather(*(visit(i) for i in range(12)))

        def republish() -> None:
            from portal.db import make_engine

            publish.publish(
                working=sample_store.working, published=make_engine(f"sqlite:///{store}"), k=10, note="re-publish"
            )

        worker = threading.Thread(target=republish)
        worker.start()
        asyncio.run(visitors())
        worker.join()
    assert not errors
    assert len(seen) == 12
    assert all(len(r) == 1 for r in seen), seen
