"""``make bench`` / ``python -m bench [--quick] [--scales 1,10,100,330]``.

For each scale, ``portal sample`` data (scale 1 ≈ 55k raw rows; 330 ≈ 10M donations + 1M
disbursements + 6.5M service records) goes through the real ``portal load`` and ``portal
publish``, each in its own process, and each figure is printed beside a baseline measured in
the same run on the same rows:
- loader rows/s (donations) vs raw ``sqlite3.executemany`` of the same rows, already parsed;
- publish seconds vs a bare DuckDB GROUPING SETS group-by of the same figures over the same rows;
- peak memory (max RSS) of load and publish.
Results go to ``bench/results/<timestamp>.json``; docs/performance.md summarises them."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GOALS = {
    "loader_rows_per_s": "≥ 165,000 rows/s at 1M and 10M rows, ≤ 3× executemany, 10M rate ≥ 0.8× the 1M rate",
    "publish_s": "< 60 s at scale 330, ≤ 1.3× bare DuckDB, peak RSS ≤ 4 GB; ≤ 3 s at scale 1",
    "page_s": "10M ≤ 1.1× 10k",
}


def run_cli(args: list[str], env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.measure", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"portal {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["exit"]:
        raise SystemExit(f"portal {' '.join(args)} exited {result['exit']}")
    return result


def executemany_baseline(csv_path: Path, working_db: Path) -> tuple[int, float]:
    """The same donation rows, parsed beforehand, inserted by one executemany in one transaction
    into a donation table of the same schema: the floor a loader cannot beat."""
    from portal.db import make_engine
    from portal.stores import migrate

    migrate(make_engine(f"sqlite:///{working_db}"), "working")
    rows = []
    with open(csv_path, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            fen = round(float(r["amount"]) * 100)
            rows.append(
                (
                    r["receipt_no"],
                    r["programme"],
                    r["donated_on"],
                    fen,
                    fen < 0,
                    "online",
                    None,
                    "individual",
                    None,
                    None,
                )
            )
    connection = sqlite3.connect(working_db)
    connection.execute("PRAGMA foreign_keys=OFF")
    started = time.perf_counter()
    with connection:
        connection.executemany(
            "INSERT INTO donation (receipt_no, programme, donated_on, amount_fen, is_refund, channel, platform, "
            "donor_type, donor_id, batch_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    seconds = time.perf_counter() - started
    connection.close()
    return len(rows), seconds


def duckdb_baseline(working_url: str) -> float:
    """Read the same rows as Arrow and run the bare GROUPING SETS of every figure family:
    no zeros filled, no suppression, nothing written."""

    from portal import publish
    from portal.db import make_engine
    from portal.figures import DATA_FAMILIES

    started = time.perf_counter()
    facts = publish.load_facts(make_engine(working_url))
    con = publish._duckdb()
    publish.prepare(con, facts, None)
    cells = 0
    for family in DATA_FAMILIES:
        cells += con.sql(publish._cube_sql(family, f"{family}_p")).to_arrow_table().num_rows
    con.close()
    return time.perf_counter() - started


def bench_scale(scale: int, workdir: Path) -> dict:
    from tools import sample

    data = workdir / f"scale{scale}"
    env = {**os.environ, "PORTAL_DATA_DIR": str(data), "PORTAL_PSEUDONYM_KEY": "bench-" + "0" * 58}
    env.pop("PORTAL_WORKING_URL", None)
    env.pop("PORTAL_PUBLISHED_URL", None)
    started = time.perf_counter()
    files = sample.write_streaming(data / "raw", scale=scale)
    generate_s = time.perf_counter() - started
    run_cli(["init"], env)
    loads = {}
    for kind, path in files:
        result = run_cli(["load", kind, str(path), "--format", "json"], env)
        loads[kind] = {"rows": json.loads(result["output"])["rows"], **result}
    published = run_cli(["publish"], env)
    n, em_seconds = executemany_baseline(dict(files)["donations"], data / "baseline.db")
    duck = duckdb_baseline(f"sqlite:///{data / 'working.db'}")
    pages = json.loads(
        subprocess.run(
            [sys.executable, "-m", "bench.pages", "--store", str(data / "portal.db"), "--json", "--runs", "3"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    donations = loads["donations"]
    total_rows = sum(v["rows"] for v in loads.values())
    return {
        "scale": scale,
        "raw_rows": total_rows,
        "rows": {k: v["rows"] for k, v in loads.items()},
        "generate_s": generate_s,
        "loader_rows_per_s": donations["rows"] / donations["seconds"],
        "executemany_rows_per_s": n / em_seconds,
        "load_s": sum(v["seconds"] for v in loads.values()),
        "load_max_rss_mb": max(v["max_rss_mb"] for v in loads.values()),
        "publish_s": published["seconds"],
        "duckdb_baseline_s": duck,
        "publish_max_rss_mb": published["max_rss_mb"],
        "page_s": {k: v for k, v in pages.items() if k != "empty_page"},
        "empty_page_s": pages["empty_page"],
    }


def page_table(results: list[dict]) -> str:
    pages = list(results[0]["page_s"])
    lines = [
        "| page | "
        + " | ".join(f"scale {r['scale']} ({r['raw_rows']:,} rows) s" for r in results)
        + " | largest ÷ smallest |",
        "|---|" + "---:|" * (len(results) + 1),
    ]
    for page in pages:
        times = [r["page_s"][page] for r in results]
        lines.append(f"| {page} | " + " | ".join(f"{t:.3f}" for t in times) + f" | {times[-1] / times[0]:.2f}× |")
    empties = [r["empty_page_s"] for r in results]
    lines.append(
        "| (empty page) | " + " | ".join(f"{t:.3f}" for t in empties) + f" | {empties[-1] / empties[0]:.2f}× |"
    )
    return "\n".join(lines)


def table(results: list[dict]) -> str:
    lines = [
        "| scale | raw rows | loader rows/s | executemany rows/s | ratio | publish s | bare DuckDB s | ratio "
        "| load peak MB | publish peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['scale']} | {r['raw_rows']:,} | {r['loader_rows_per_s']:,.0f} | {r['executemany_rows_per_s']:,.0f} "
            f"| {r['executemany_rows_per_s'] / r['loader_rows_per_s']:.2f}× | {r['publish_s']:.1f} "
            f"| {r['duckdb_baseline_s']:.1f} | {r['publish_s'] / r['duckdb_baseline_s']:.2f}× "
            f"| {r['load_max_rss_mb']:,.0f} | {r['publish_max_rss_mb']:,.0f} |"
        )
    return "\n".join(lines)


def goal_table(results: list[dict]) -> str:
    """Issue #16's rows that ``make bench`` measures, each beside its baseline of the same run."""
    small, large = results[0], results[-1]
    lines = ["| what | goal | measured | baseline (same run) | ratio |", "|---|---|---:|---:|---:|"]
    for r in (small, large) if large is not small else (small,):
        lines.append(
            f"| loader, donations, scale {r['scale']} ({r['rows']['donations']:,} rows) | ≥ 165,000 rows/s, ≤ 3× "
            f"| {r['loader_rows_per_s']:,.0f} rows/s | executemany {r['executemany_rows_per_s']:,.0f} rows/s "
            f"| {r['executemany_rows_per_s'] / r['loader_rows_per_s']:.2f}× |"
        )
    lines.append(
        f"| publish, scale {large['scale']} ({large['raw_rows']:,} rows) | < 60 s, ≤ 1.3× | {large['publish_s']:.1f} s "
        f"| bare DuckDB {large['duckdb_baseline_s']:.1f} s | {large['publish_s'] / large['duckdb_baseline_s']:.2f}× |"
    )
    lines.append(
        f"| publish peak RSS, scale {large['scale']} | ≤ 4,096 MB | {large['publish_max_rss_mb']:,.0f} MB "
        f"| load peak {large['load_max_rss_mb']:,.0f} MB | {large['publish_max_rss_mb'] / 4096:.2f}× the goal |"
    )
    lines.append(
        f"| publish, scale {small['scale']} ({small['raw_rows']:,} rows) | ≤ 3 s | {small['publish_s']:.1f} s "
        f"| bare DuckDB {small['duckdb_baseline_s']:.1f} s | {small['publish_s'] / small['duckdb_baseline_s']:.2f}× |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="scale 1 and 3 only (CI, under 5 minutes)")
    parser.add_argument("--scales", default="1,10,100,330")
    args = parser.parse_args(argv)
    scales = [1, 3] if args.quick else [int(s) for s in args.scales.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="open-figures-bench-") as tmp:
        for scale in scales:
            print(f"scale {scale} …", flush=True)
            results.append(bench_scale(scale, Path(tmp)))
            print(table(results[-1:]), flush=True)
    print("\n" + table(results))
    print("\n" + page_table(results))
    print("\n" + goal_table(results))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{'quick' if args.quick else 'full'}-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "goals": GOALS,
                "results": results,
            },
            indent=2,
        )
    )
    print(f"\nsaved {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
