"""The two stores: migrations, and the portal's read-only connection to the published store."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from portal import publish, queries
from portal.db import make_engine
from portal.models import published, working
from tests.conftest import load_frames
from tests.factories import random_raw


def test_migrations_create_every_model_table(deployment):
    assert set(working.metadata.tables) <= set(inspect(deployment.working).get_table_names())
    assert set(published.metadata.tables) <= set(inspect(deployment.published).get_table_names())


def test_read_only_engine_reads_but_cannot_write(deployment, tmp_path):
    load_frames(deployment, random_raw(3, children=30, disbursements=60, donations=40, records=60), tmp_path / "raw")
    release = publish.publish(working=deployment.working, published=deployment.published, k=5)
    reader = make_engine(deployment.settings.published_store_url, read_only=True)
    assert queries.current_release(engine=reader).id == release.release_id
    assert len(queries.cells(engine=reader, release_id=release.release_id)) == release.cells
    with pytest.raises(DBAPIError), reader.begin() as connection:
        connection.execute(text("DELETE FROM cell"))
    with pytest.raises(DBAPIError), reader.begin() as connection:
        connection.execute(text("UPDATE release SET k = 1"))
    assert queries.current_release(engine=reader).k == 5


def test_models_and_migrations_agree(deployment):
    """Every model change comes with its migration: autogenerate finds nothing to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    for engine, metadata in ((deployment.working, working.metadata), (deployment.published, published.metadata)):
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_read_only_queries_have_a_time_limit(deployment, monkeypatch):
    """A runaway query through the portal's engine is stopped (SQLite: a progress handler;
    PostgreSQL: statement_timeout), and the engine goes on serving normal queries."""
    from portal import db

    monkeypatch.setattr(db, "QUERY_LIMIT_S", 0.5)
    reader = make_engine(deployment.settings.published_store_url, read_only=True)
    endless = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n")
    with pytest.raises(DBAPIError) as stopped, reader.connect() as connection:
        connection.execute(endless).scalar()
    assert any(word in str(stopped.value).lower() for word in ("interrupted", "statement timeout"))
    with reader.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
