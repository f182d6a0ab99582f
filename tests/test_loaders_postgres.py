"""The same loads on PostgreSQL (psycopg 3): upserts, reload no-op, key fingerprint, register.

Uses PORTAL_TEST_POSTGRES_URL when set; otherwise starts a throwaway cluster with the local
``initdb``/``pg_ctl`` (as the ``postgres`` user when running as root) and stops it after."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from loaders import KeyMismatch, load_file
from portal.db import make_engine
from portal.stores import migrate
from tests.loader_fixtures import KEY, OTHER_KEY, children_rows, donation_rows, load_reference, write_dicts

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url():
    url = os.environ.get("PORTAL_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("no PostgreSQL: set PORTAL_TEST_POSTGRES_URL or install initdb/pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="loaders-pg-"))  # outside pytest's 0700 tree: postgres reads it
    data, port = base / "data", _free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        prefix = ["su", "postgres", "-c"]

    def run(cmd: str) -> None:
        subprocess.run([*prefix, cmd] if prefix else ["sh", "-c", cmd], check=True, capture_output=True)

    run(f"{initdb} -D {data} -A trust -U postgres")
    run(
        f"{pg_ctl} -D {data} -w -o '-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off' -l {base}/log start"
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(f"{pg_ctl} -D {data} -m immediate stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_engine(pg_url, tmp_path):
    admin = make_engine(pg_url)
    name = "w_" + uuid.uuid4().hex[:10]
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    engine = make_engine(pg_url.rsplit("/", 1)[0] + "/" + name)
    migrate(engine, "working")
    yield engine
    engine.dispose()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text(f"DROP DATABASE {name}"))
    admin.dispose()


def scalar(engine, sql: str):
    with engine.connect() as c:
        return c.execute(text(sql)).scalar()


def test_postgres_load_reload_and_key(pg_engine, tmp_path):
    load_reference(pg_engine, tmp_path)
    rng = random.Random(1)
    kids = children_rows(rng, 6)
    load_file("children", write_dicts(tmp_path / "c.csv", kids), engine=pg_engine, key=KEY)
    dons = donation_rows(rng, 60)
    dons[3]["amount"] = "bad"
    path = write_dicts(tmp_path / "d.csv", dons)
    r = load_file("donations", path, engine=pg_engine, key=KEY)
    assert (r.loaded, r.rejected) == (len(dons) - 1, 1)
    total = sum(round(float(d["amount"]) * 100) for i, d in enumerate(dons) if i != 3)
    assert scalar(pg_engine, "SELECT SUM(amount_fen) FROM donation") == total
    batches = scalar(pg_engine, "SELECT COUNT(*) FROM batch")
    assert load_file("donations", path, engine=pg_engine, key=KEY).unchanged
    assert scalar(pg_engine, "SELECT COUNT(*) FROM batch") == batches
    # the same file with the bad row corrected: only that row is written (rowcount on psycopg)
    dons[3]["amount"] = "12.34"
    fixed = load_file("donations", write_dicts(tmp_path / "d.csv", dons), engine=pg_engine, key=KEY)
    assert (fixed.loaded, fixed.rejected, fixed.unchanged) == (len(dons), 0, False)
    assert scalar(pg_engine, "SELECT SUM(amount_fen) FROM donation") == total + 1234
    assert scalar(pg_engine, f"SELECT COUNT(*) FROM donation WHERE batch_id = {fixed.batch_id}") == 1
    batches += 1
    dis = [
        {
            "payment_no": f"P{i}",
            "paid_on": "2023-09-01",
            "id_no": k["id_no"],
            "stage": "初中",
            "amount": "800",
            "programme": "NT-CARE",
        }
        for i, k in enumerate(kids)
    ]
    assert load_file("disbursements", write_dicts(tmp_path / "dis.csv", dis), engine=pg_engine, key=KEY).loaded == 6
    assert scalar(pg_engine, "SELECT COUNT(DISTINCT child_id) FROM disbursement") == len(kids)
    with pytest.raises(KeyMismatch):
        load_file("donations", path, engine=pg_engine, key=OTHER_KEY)
    assert scalar(pg_engine, "SELECT COUNT(*) FROM batch") == batches + 1
