"""Safe and repeatable: a load killed with SIGKILL leaves the store as it was; reloading any
kind is a no-op; planted names, ID numbers and phones appear nowhere in the store's bytes, the
logs or the rejects files."""

from __future__ import annotations

import hashlib
import logging
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from loaders import load_file
from portal.pseudonym import normalise_phone
from tests.loader_fixtures import (
    KEY,
    children_rows,
    donation_rows,
    load_reference,
    make_id,
    new_store,
    rows_of,
    snapshot,
    write_dicts,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path):
    engine = new_store(tmp_path)
    load_reference(engine, tmp_path)
    return engine, tmp_path, tmp_path / "working.db"


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    import loaders.store as store
    from portal.db import make_engine
    from loaders import load_file

    real_put = store.ChunkWriter.put
    def put(self, rows):
        real_put(self, rows)
        print("chunk written", flush=True)   # rows are in the open transaction now
        time.sleep(60)                        # the parent kills us here
    store.ChunkWriter.put = put
    engine = make_engine("sqlite:///" + {db!r})
    load_file("donations", Path({csv!r}), engine=engine, key={key!r})
""")


def test_sigkill_mid_load_leaves_store_unchanged(store):
    engine, tmp, db = store
    from loaders.rows import CHUNK

    rows = donation_rows(random.Random(1), CHUNK + 500)
    path = write_dicts(tmp / "big.csv", rows)
    load_file(
        "donations",
        write_dicts(tmp / "first.csv", donation_rows(random.Random(2), 10, start=10**6)),
        engine=engine,
        key=KEY,
    )
    engine.dispose()
    before = snapshot(db)
    script = KILL_SCRIPT.format(root=str(ROOT), db=str(db), csv=str(path), key=KEY)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "chunk written"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(db) == before
    assert rows_of(db, "PRAGMA integrity_check") == [("ok",)]
    # and the store is usable: the same file now loads completely
    r = load_file("donations", path, engine=engine, key=KEY)
    assert r.loaded == len(rows)
    assert rows_of(db, "SELECT COUNT(*) FROM donation") == [(len(rows) + 10,)]


def reference_and_data(tmp: Path, rng: random.Random) -> list[tuple[str, Path]]:
    kids = children_rows(rng, 15)
    files = [
        (
            "stage_standards",
            write_dicts(tmp / "ss.csv", [{"programme": "NT-CARE", "stage": "小学", "yearly_amount": "2400"}]),
        ),
        ("children", write_dicts(tmp / "children.csv", kids)),
        ("donations", write_dicts(tmp / "donations.csv", donation_rows(rng, 40))),
        (
            "disbursements",
            write_dicts(
                tmp / "dis.csv",
                [
                    {
                        "payment_no": f"P{i}",
                        "paid_on": "2023-09-01",
                        "id_no": k["id_no"],
                        "stage": "小学",
                        "amount": "600",
                        "programme": "NT-CARE",
                    }
                    for i, k in enumerate(kids)
                ],
            ),
        ),
        (
            "volunteer_hours",
            write_dicts(
                tmp / "vol.csv",
                [
                    {
                        "record_no": f"V{i}",
                        "volunteer_name": "志愿者",
                        "volunteer_phone": f"13600000{i % 4:03d}",
                        "county": "海门区",
                        "served_on": "2023-04-01",
                        "hours": "3",
                        "child_id_no": kids[i]["id_no"],
                        "programme": "NT-CARE",
                    }
                    for i in range(10)
                ],
            ),
        ),
    ]
    return files


def test_reload_every_kind_is_noop(store):
    engine, tmp, db = store
    files = reference_and_data(tmp, random.Random(3))
    for kind, path in files:
        load_file(kind, path, engine=engine, key=KEY)
    before = snapshot(db)
    for kind, path in [("programmes", tmp / "programmes.csv"), ("regions", tmp / "regions.csv"), *files]:
        r = load_file(kind, path, engine=engine, key=KEY)
        assert r.unchanged, kind
    assert snapshot(db) == before


def test_reload_of_file_with_rejects_is_noop_and_retries_after_reference(store):
    engine, tmp, db = store
    rows = donation_rows(random.Random(4), 8)
    rows[2]["programme"] = "LATER"
    path = write_dicts(tmp / "d.csv", rows)
    first = load_file("donations", path, engine=engine, key=KEY)
    assert first.rejected == 1
    before = snapshot(db)
    again = load_file("donations", path, engine=engine, key=KEY)
    assert again.unchanged and snapshot(db) == before
    # the missing programme is added to the reference list: the same file now loads that row
    write_dicts(tmp / "p2.csv", [{"code": "LATER", "name_zh": "后来", "name_en": "Later", "started_on": "2023-01-01"}])
    load_file("programmes", tmp / "p2.csv", engine=engine, key=KEY)
    third = load_file("donations", path, engine=engine, key=KEY)
    assert (third.loaded, third.rejected, third.unchanged) == (len(rows), 0, False)
    assert rows_of(db, "SELECT COUNT(*) FROM donation") == [(len(rows),)]
    assert not (tmp / "d.csv.rejects.csv").exists()


def test_canaries_never_reach_store_logs_or_rejects(store, caplog):
    engine, tmp, db = store
    rng = random.Random(5)
    caplog.set_level(logging.DEBUG)
    kids = children_rows(rng, 12)
    names = [f"金丝雀{chr(0x4E00 + i * 37)}{chr(0x4E00 + i * 91)}" for i in range(12)]
    guardians = [f"监护{n}" for n in names]
    phones = [f"1889{rng.randrange(10**7):07d}" for _ in range(12)]
    addresses = [f"幸福路{rng.randrange(1000, 9999)}号" for _ in range(12)]
    schools = [f"第{rng.randrange(100, 999)}中学" for _ in range(12)]
    banks = [f"6222{rng.randrange(10**14, 10**15)}" for _ in range(12)]
    for i, k in enumerate(kids):
        k.update(
            name=names[i],
            guardian_name=guardians[i],
            guardian_phone=phones[i],
            address=addresses[i],
            school=schools[i],
            bank_account=banks[i],
            town="金丝雀镇",
        )
    kids[3]["category"] = "不存在"  # a rejected row: its canaries must not leak through the rejects file
    bad_id = make_id(rng)[:17] + "Z"
    kids[4]["id_no"] = bad_id
    load_file("children", write_dicts(tmp / "children.csv", kids), engine=engine, key=KEY)
    dons = donation_rows(rng, 12)
    for i, d in enumerate(dons):
        d.update(donor_name=names[i], donor_phone=phones[i])
    dons[5]["amount"] = "错"
    dons[6]["donor_phone"] = "+86 " + phones[6][:3] + "-" + phones[6][3:7] + "-" + phones[6][7:]
    load_file("donations", write_dicts(tmp / "donations.csv", dons), engine=engine, key=KEY)
    vol = [
        {
            "record_no": f"V{i}",
            "volunteer_name": names[i],
            "volunteer_id_no": make_id(rng),
            "volunteer_phone": phones[i],
            "county": "海门区",
            "served_on": "2023-04-01",
            "hours": "3" if i else "99",
            "child_id_no": kids[i + 5]["id_no"],
            "programme": "NT-CARE",
        }
        for i in range(6)
    ]
    load_file("volunteer_hours", write_dicts(tmp / "vol.csv", vol), engine=engine, key=KEY)
    dis = [
        {
            "payment_no": f"P{i}",
            "paid_on": "2023-09-01",
            "id_no": kids[i]["id_no"],
            "name": names[i],
            "stage": "小学",
            "amount": "600",
            "programme": "NT-CARE",
        }
        for i in (0, 1, 2, 3)
    ]
    load_file("disbursements", write_dicts(tmp / "dis.csv", dis), engine=engine, key=KEY)
    engine.dispose()

    ids = [k["id_no"] for k in kids] + [v["volunteer_id_no"] for v in vol] + [bad_id]
    canaries = [*names, *guardians, *addresses, *schools, *banks, "金丝雀镇"]
    canaries += ids + [i.lower() for i in ids] + [i[6:14] + i[14:] for i in ids]
    canaries += phones + [normalise_phone(p) for p in phones]
    # plain (unkeyed) hashes of identifiers must not be there either
    canaries += [hashlib.sha256(i.encode()).hexdigest() for i in ids]
    canaries += [hashlib.sha256(p.encode()).hexdigest() for p in phones]

    blobs = {}
    for f in tmp.iterdir():
        if f.name.startswith("working.db") or f.name.endswith(".rejects.csv"):
            blobs[f.name] = f.read_bytes()
    assert any(n.endswith(".rejects.csv") for n in blobs)  # there were rejects to scan
    # positive control: the same scan finds every canary of the raw files it came from
    raw = b"".join((tmp / n).read_bytes() for n in ("children.csv", "donations.csv", "vol.csv"))
    assert all(c.encode() in raw for c in [*names, *phones, *(k["id_no"] for k in kids)])
    blobs["log"] = "\n".join(r.getMessage() for r in caplog.records).encode()
    for name, data in blobs.items():
        for canary in canaries:
            for enc in ("utf-8", "utf-16-le", "gb18030"):
                assert canary.encode(enc) not in data, (name, enc)
    # the rows did load: the scan is not vacuous
    assert rows_of(db, "SELECT COUNT(*) FROM child") == [(len(kids) - 2,)]
    assert rows_of(db, "SELECT COUNT(*) FROM donation WHERE donor_id IS NOT NULL") == [(len(dons) - 1,)]
