"""Shared helpers for the loader tests: a migrated working store, synthetic reference files and
valid (checksummed) ID numbers. Everything is generated; nothing here is a real person."""

from __future__ import annotations

import csv
import datetime as dt
import random
import sqlite3
from pathlib import Path

from loaders.personal import id_check_char
from portal.db import make_engine
from portal.stores import migrate

KEY = b"loader-tests-key-0123456789abcdef"
OTHER_KEY = b"another-deployment-key-fedcba9876"

PROGRAMMES = [
    {"code": "NT-CARE", "name_zh": "南通关爱", "name_en": "Nantong care", "started_on": "2019-03-01"},
    {"code": "LY-HOSP", "name_zh": "临沂陪诊", "name_en": "Linyi hospital", "started_on": "2021-06-15"},
]
REGIONS = [
    {"code": "320600", "name_zh": "南通市", "name_en": "Nantong", "parent_code": ""},
    {"code": "320614", "name_zh": "海门区", "name_en": "Haimen", "parent_code": "320600"},
    {"code": "320684", "name_zh": "启东市", "name_en": "Qidong", "parent_code": "320600"},
    {"code": "320612", "name_zh": "通州区", "name_en": "Tongzhou", "parent_code": "320600"},
]


def make_id(rng: random.Random, birth: dt.date | None = None, male: bool | None = None, region: str = "320614") -> str:
    birth = birth or dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 12))
    male = rng.random() < 0.5 if male is None else male
    seq = rng.randrange(0, 100) * 10 + (rng.choice((1, 3, 5, 7, 9)) if male else rng.choice((0, 2, 4, 6, 8)))
    first = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first + id_check_char(first)


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_dicts(path: Path, rows: list[dict], encoding: str = "utf-8") -> Path:
    header = list(rows[0])
    return write_csv(path, header, [[r[h] for h in header] for r in rows], encoding)


def new_store(tmp: Path):
    engine = make_engine(f"sqlite:///{tmp / 'working.db'}")
    migrate(engine, "working")
    return engine


def load_reference(engine, tmp: Path, key: bytes = KEY) -> None:
    from loaders import load_file

    load_file("programmes", write_dicts(tmp / "programmes.csv", PROGRAMMES), engine=engine, key=key)
    load_file("regions", write_dicts(tmp / "regions.csv", REGIONS), engine=engine, key=key)


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table (sorted), to assert that nothing changed."""
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(map(tuple, con.execute(f"SELECT * FROM {t}").fetchall()), key=repr) for t in tables}
    finally:
        con.close()


def rows_of(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def children_rows(rng: random.Random, n: int, programme: str = "NT-CARE") -> list[dict]:
    rows = []
    for i in range(n):
        birth = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 8))
        rows.append(
            {
                "id_no": make_id(rng, birth),
                "name": f"儿童{i}",
                "county": rng.choice(["海门区", "320684", "通州区"]),
                "category": rng.choice(["孤儿", "事实孤儿", "low_income", "disability"]),
                "enrolled_on": "2023-01-05",
                "paired": rng.choice(["是", "否"]),
                "programme": programme,
            }
        )
    return rows


def donation_rows(rng: random.Random, n: int, start: int = 0) -> list[dict]:
    rows = []
    for i in range(start, start + n):
        rows.append(
            {
                "receipt_no": f"R{i:07d}",
                "donated_on": f"2023-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                "amount": f"{rng.randrange(1, 100000)}.{rng.randrange(0, 100):02d}",
                "channel": rng.choice(["腾讯公益", "cash", "银行转账", "慈善一日捐"]),
                "donor_type": rng.choice(["个人", "company"]),
                "donor_name": f"捐赠人{rng.randrange(0, 50)}",
                "donor_phone": f"139{rng.randrange(0, 50):08d}" if rng.random() < 0.7 else "",
                "programme": "NT-CARE",
            }
        )
    return rows


def registered_store(tmp: Path, n: int = 6):
    """A store with the reference files, ``n`` children of NT-CARE in 海门区 and one of
    LY-HOSP on the register: (engine, folder, register rows, other programme's rows)."""
    from loaders import load_file

    engine = new_store(tmp)
    load_reference(engine, tmp)
    rng = random.Random(42)
    register = children_rows(rng, n)
    for r in register:
        r["county"] = "海门区"
    load_file("children", write_dicts(tmp / "register.csv", register), engine=engine, key=KEY)
    other = children_rows(rng, 1, programme="LY-HOSP")
    load_file("children", write_dicts(tmp / "register2.csv", other), engine=engine, key=KEY)
    return engine, tmp, register, other
