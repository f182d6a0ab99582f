"""Benchmark: donations through the loader vs raw ``sqlite3.executemany`` of the same rows.

    python bench/bench_loader.py [ROWS ...] [--row-path]      (default 1,000,000)

Generates a donations CSV (synthetic), loads it end to end (read, parse, validate,
pseudonymise, insert) into a fresh working store, then inserts the same rows, already parsed,
with one raw ``executemany`` in one transaction into another fresh store. Prints both rates,
their ratio, and the loader's peak memory (ru_maxrss of a child process per phase).

Several sizes (``1000000 10000000``) are run in turn, and the last size's rate is compared with
the first's. ``--row-path`` also loads each file by the row-at-a-time path (loaders/rows.py)
that the column-at-a-time one (loaders/columnar.py) stands in for."""

from __future__ import annotations

import csv
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEY = b"bench-key-0123456789abcdef012345"
CHANNELS = ["腾讯公益", "支付宝公益", "慈善一日捐", "银行转账", "现金", "cash", "bank"]
TYPES = ["个人", "企业", "individual", "company", "社会组织"]


def generate(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["票据号", "捐赠日期", "捐赠金额（元）", "捐赠渠道", "捐赠人类型", "捐赠人", "联系电话", "项目名称"])
        for i in range(n):
            has_phone = rng.random() < 0.6
            donor = rng.randrange(200_000)
            w.writerow(
                [
                    f"R{i:09d}",
                    f"2023-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                    f"{rng.randrange(1, 5000)}.{rng.randrange(100):02d}",
                    rng.choice(CHANNELS),
                    rng.choice(TYPES),
                    f"捐赠人{donor}",
                    f"139{donor:08d}" if has_phone else "",
                    "NT-CARE",
                ]
            )


def _store(path: Path):
    from portal.db import make_engine
    from portal.stores import migrate

    engine = make_engine(f"sqlite:///{path}")
    migrate(engine, "working")
    return engine


def _reference(engine, tmp: Path) -> None:
    from loaders import load_file

    (tmp / "p.csv").write_text("code,name_zh,name_en,started_on\nNT-CARE,南通关爱,Nantong care,2019-01-01\n")
    load_file("programmes", tmp / "p.csv", engine=engine, key=KEY)


def run_loader(csv_path: Path, tmp: Path, out, row_path: bool = False) -> None:
    from loaders import columnar, load_file

    columnar.ENABLED = not row_path
    engine = _store(tmp / ("rows.db" if row_path else "loader.db"))
    _reference(engine, tmp)
    t, c = time.perf_counter(), time.process_time()
    r = load_file("donations", csv_path, engine=engine, key=KEY)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    out.put((r.loaded, elapsed, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def run_raw(csv_path: Path, tmp: Path, out) -> None:
    """The floor: rows already parsed into tuples, one executemany, one transaction."""
    from loaders.cells import parse_amount, parse_date
    from portal.pseudonym import fast_pseudonymiser

    engine = _store(tmp / "raw.db")
    _reference(engine, tmp)
    p = fast_pseudonymiser(KEY)
    persons: dict[str, int] = {}
    rows = []
    with open(csv_path, encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        next(r)
        for no, on, amt, _ch, _dt, name, phone, _prog in r:
            donor = None
            if phone:
                donor = persons.setdefault(p(name + phone), len(persons) + 1)
            rows.append(
                (
                    no,
                    "NT-CARE",
                    parse_date(on).isoformat(),
                    parse_amount(amt),
                    False,
                    "online",
                    None,
                    "individual",
                    donor,
                    2,
                )
            )
    con = engine.raw_connection().driver_connection
    con.isolation_level = None
    cur = con.cursor()
    # the same connection settings the loader uses, so the ratio compares the work done
    from loaders.store import SQLITE_CACHE_KIB

    cur.execute("PRAGMA foreign_keys=OFF")
    cur.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
    t, c = time.perf_counter(), time.process_time()
    cur.execute("BEGIN IMMEDIATE")
    cur.executemany("INSERT INTO person (id, pseudonym) VALUES (?, ?)", [(i, s) for s, i in persons.items()])
    cur.executemany(
        "INSERT INTO donation (receipt_no, programme, donated_on, amount_fen, is_refund, channel, "
        "platform, donor_type, donor_id, batch_id) VALUES (?,?,?,?,?,?,?,?,?,1)",
        [r[:-1] for r in rows],
    )
    cur.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    out.put((len(rows), elapsed, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def run_row_path(csv_path: Path, tmp: Path, out) -> None:
    run_loader(csv_path, tmp, out, row_path=True)


def measure(n: int, row_path: bool) -> float:
    """Prints one size's lines; returns the loader's rows/s."""
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        csv_path = tmp / "donations.csv"
        generate(csv_path, n)
        size = csv_path.stat().st_size
        results = {}
        phases = [("loader", run_loader), ("raw", run_raw)] + ([("rows", run_row_path)] if row_path else [])
        for name, fn in phases:
            q = ctx.Queue()
            proc = ctx.Process(target=fn, args=(csv_path, tmp, q))
            proc.start()
            results[name] = q.get()
            proc.join()
            for f in tmp.glob("*.db*"):
                f.unlink()  # a store of ten million rows need not stay on disk for the next phase
        loaded, t_loader, c_loader, rss_loader = results["loader"]
        count, t_raw, c_raw, rss_raw = results["raw"]
        print(f"rows: {n:,} ({size / 1e6:.0f} MB CSV); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(
            f"loader end to end (parse, validate, pseudonymise, insert): {loaded / t_loader:,.0f} rows/s wall "
            f"({t_loader:.2f} s), {loaded / c_loader:,.0f} rows per CPU-second; peak RSS {rss_loader / 1024:.0f} MB"
        )
        print(
            f"raw sqlite3.executemany, rows already parsed:            {count / t_raw:,.0f} rows/s wall "
            f"({t_raw:.2f} s), {count / c_raw:,.0f} rows per CPU-second; peak RSS {rss_raw / 1024:.0f} MB "
            "(holds all rows)"
        )
        print(f"ratio loader/raw time: {t_loader / t_raw:.2f}x wall, {c_loader / c_raw:.2f}x CPU")
        if row_path:
            rows_loaded, t_rows, c_rows, rss_rows = results["rows"]
            print(
                f"row-at-a-time path (loaders/rows.py), same file:           {rows_loaded / t_rows:,.0f} rows/s wall "
                f"({t_rows:.2f} s), {rows_loaded / c_rows:,.0f} rows per CPU-second; peak RSS {rss_rows / 1024:.0f} MB"
            )
        sys.stdout.flush()
        return loaded / t_loader


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:] if not a.startswith("--")] or [1_000_000]
    row_path = "--row-path" in sys.argv[1:]
    rates = [measure(n, row_path) for n in sizes]
    if len(sizes) > 1:
        print(f"loader rate at {sizes[-1]:,} rows / at {sizes[0]:,} rows: {rates[-1] / rates[0]:.2f}x")


if __name__ == "__main__":
    main()
