"""Benchmark: a fundraising platform's order export through the loader vs raw ``executemany``.

    python -m bench.bench_platform [ROWS] [--form csv|json|jsonl]     (default 1,000,000, csv)

Writes a synthetic 腾讯公益 order export (the fields of ``portal/reference/platforms/tencent.toml``,
one order in eight unpaid), loads it end to end with ``portal load donations`` (detect the
platform, read, check every order, convert fen and RFC 3339 times, write) into a fresh working
store, then inserts the same paid orders, already parsed, with one raw ``executemany`` in one
transaction into the donation table of another fresh store, on a connection set up as the
loader's. Both in child processes, one after the other, in the same run. Prints both rates,
their ratio and each phase's peak memory."""

from __future__ import annotations

import csv
import datetime as dt
import json
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

from bench.bench_loader import KEY, _store  # noqa: E402 - after the path is set

PROJECTS = ("237449", "237450", "880012")
UNPAID_SHARE = 0.125


def _records(n: int, seed: int):
    from loaders.platforms import platforms

    tencent = platforms()["tencent"]
    f = {part: names[0] for part, names in tencent.fields.items()}
    paid = sorted(tencent.paid)[0]
    rng = random.Random(seed)
    start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    offsets = (dt.timezone(dt.timedelta(hours=8)), dt.UTC)
    for i in range(n):
        when = (start + dt.timedelta(seconds=rng.randrange(365 * 86400))).astimezone(rng.choice(offsets))
        yield {
            f["receipt_no"]: f"{when:%Y%m%d%H%M%S}{i:010d}",
            f["project_id"]: rng.choice(PROJECTS),
            f["amount"]: rng.randrange(1, 500_000),
            f["paid_time"]: when.isoformat(),
            f["state"]: paid if rng.random() >= UNPAID_SHARE else "3",
            "bt": 1,
            "bid": rng.randrange(1000, 9999),
            "busi_code": f"B{i:09d}",
            "appid": "wx0000000000000000",
            "proj_name": "某公益项目",
        }


def generate(path: Path, n: int, form: str, seed: int = 1) -> None:
    records = _records(n, seed)
    with open(path, "w", encoding="utf-8", newline="") as out:
        if form == "csv":
            first = next(records)
            w = csv.writer(out)
            w.writerow(first)
            w.writerow(first.values())
            w.writerows(r.values() for r in records)
        elif form == "jsonl":
            out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        else:  # an array under "data", as the platform's API answers
            out.write('{"code": 0, "data": [')
            for i, r in enumerate(records):
                out.write((",\n" if i else "\n") + json.dumps(r, ensure_ascii=False))
            out.write("\n]}\n")


def _reference(engine, tmp: Path) -> None:
    from loaders import load_file

    ids = ";".join(f"tencent:{p}" for p in PROJECTS)
    (tmp / "p.csv").write_text(
        f"code,name_zh,name_en,started_on,platform_project_ids\nNT-CARE,南通关爱,Nantong care,2019-01-01,{ids}\n",
        encoding="utf-8",
    )
    load_file("programmes", tmp / "p.csv", engine=engine, key=KEY)


def run_loader(path: Path, tmp: Path, out) -> None:
    from loaders import load_file

    engine = _store(tmp / "loader.db")
    _reference(engine, tmp)
    t, c = time.perf_counter(), time.process_time()
    r = load_file("donations", path, engine=engine, key=KEY)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    assert r.platform and r.rejected == 0, r
    out.put((r.loaded, r.not_paid, elapsed, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def run_raw(path: Path, form: str, tmp: Path, out) -> None:
    """The floor: the paid orders already parsed into tuples, one executemany, one transaction."""
    from loaders.platforms import platforms
    from loaders.store import SQLITE_CACHE_KIB

    tencent = platforms()["tencent"]
    f = {part: names[0] for part, names in tencent.fields.items()}
    beijing = tencent.date_offset
    engine = _store(tmp / "raw.db")
    _reference(engine, tmp)
    if form == "csv":
        with open(path, encoding="utf-8", newline="") as fh:
            records = list(csv.DictReader(fh))
    elif form == "jsonl":
        with open(path, encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh]
    else:
        records = json.loads(path.read_text(encoding="utf-8"))["data"]
    rows = [
        (
            r[f["receipt_no"]],
            "NT-CARE",
            dt.datetime.fromisoformat(r[f["paid_time"]]).astimezone(beijing).date().isoformat(),
            int(r[f["amount"]]),
            False,
            tencent.channel,
            tencent.name,
            "individual",
            None,
        )
        for r in records
        if str(r[f["state"]]) in tencent.paid
    ]
    del records
    con = engine.raw_connection().driver_connection
    con.isolation_level = None
    cur = con.cursor()
    cur.execute("PRAGMA foreign_keys=OFF")  # as the loader's connection
    cur.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
    t, c = time.perf_counter(), time.process_time()
    cur.execute("BEGIN IMMEDIATE")
    cur.executemany(
        "INSERT INTO donation (receipt_no, programme, donated_on, amount_fen, is_refund, channel, "
        "platform, donor_type, donor_id, batch_id) VALUES (?,?,?,?,?,?,?,?,?,1)",
        rows,
    )
    cur.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    out.put((len(rows), 0, elapsed, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def main() -> None:
    args = sys.argv[1:]
    form = "csv"
    if "--form" in args:
        at = args.index("--form")
        form = args[at + 1]
        del args[at : at + 2]
    n = int(args[0]) if args else 1_000_000
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        path = tmp / f"orders.{form}"
        started = time.perf_counter()
        generate(path, n, form)
        size = path.stat().st_size
        print(f"generated {n:,} orders ({size / 1e6:.0f} MB {form}) in {time.perf_counter() - started:.0f} s")
        results = {}
        for name, fn, fn_args in (("loader", run_loader, (path, tmp)), ("raw", run_raw, (path, form, tmp))):
            q = ctx.Queue()
            proc = ctx.Process(target=fn, args=(*fn_args, q))
            proc.start()
            results[name] = q.get()
            proc.join()
        loaded, not_paid, t_loader, c_loader, rss_loader = results["loader"]
        count, _, t_raw, c_raw, rss_raw = results["raw"]
        assert count == loaded, (count, loaded)
        print(f"orders: {n:,}, paid {loaded:,}, not paid {not_paid:,}; load average {os.getloadavg()[0]:.1f}")
        print(
            f"loader end to end (detect, read, check, fen, RFC 3339 -> Beijing date, insert): "
            f"{n / t_loader:,.0f} orders/s, {loaded / t_loader:,.0f} gifts/s wall ({t_loader:.2f} s), "
            f"{loaded / c_loader:,.0f} gifts per CPU-second; peak RSS {rss_loader / 1024:.0f} MB"
        )
        print(
            f"raw sqlite3.executemany of the same gifts, already parsed: {count / t_raw:,.0f} gifts/s wall "
            f"({t_raw:.2f} s), {count / c_raw:,.0f} per CPU-second; peak RSS {rss_raw / 1024:.0f} MB (holds all rows)"
        )
        print(f"ratio loader/raw time: {t_loader / t_raw:.2f}x wall, {c_loader / c_raw:.2f}x CPU")


if __name__ == "__main__":
    main()
