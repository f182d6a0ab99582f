"""Open-data API beside page views, on one replica: requests per second and server CPU per
request for cached ``/api/v1/figures`` answers, then the same count of page views (Streamlit's
own protocol, ``bench.loadtest.page_view``), against the same server in the same run.

    python -m bench.bench_api [--store sqlite:///data/portal.db] [--requests 2000] [--clients 8]
    python -m bench.bench_api --page-views 200 --baseline /tmp/before [--rounds 2]

The store defaults to the one ``make run`` builds; its release must be trusted here (the
local key of ``data/``, or PORTAL_KEY_FINGERPRINTS). Every page × query the page views ask for
is drawn once before measuring, so "cached" page views are.

``--baseline DIR``: page views only, against this checkout and against DIR (another checkout,
e.g. ``git worktree add /tmp/before HEAD~1``), each on a fresh server, ``--rounds`` times in
turn on the same machine load; prints each one's server CPU per view and the ratio."""

from __future__ import annotations

import argparse
import asyncio
import http.client
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

from bench.loadtest import PAGES, QUERIES, cpu_seconds, page_view
from bench.replicas import one_portal

ROOT = Path(__file__).resolve().parent.parent
API_QUERIES = (
    "/api/v1/figures?figure=funds_raised&by=none",
    "/api/v1/figures?figure=children_served&by=region&lang=en",
    "/api/v1/figures.csv?figure=funds_disbursed&by=stage",
    "/api/v1/figures?programme=all&period=all",
)


def api_requests(base: str, count: int, clients: int) -> tuple[float, int]:
    """(seconds, errors) for ``count`` GETs over ``clients`` keep-alive connections."""
    host = urlparse(base).netloc
    per_client = count // clients

    def client(i: int) -> int:
        errors = 0
        connection = http.client.HTTPConnection(host, timeout=30)
        for n in range(per_client):
            connection.request("GET", API_QUERIES[(i + n) % len(API_QUERIES)])
            response = connection.getresponse()
            response.read()
            errors += response.status != 200
        connection.close()
        return errors

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        errors = sum(pool.map(client, range(clients)))
    return time.perf_counter() - started, errors


async def page_views(base: str, count: int, clients: int) -> tuple[float, int]:
    per_client = count // clients
    errors = 0

    async def client(i: int) -> None:
        nonlocal errors
        for n in range(per_client):
            try:
                await page_view(base, PAGES[(i + n) % len(PAGES)], QUERIES[(i + n) % len(QUERIES)], 120)
            except Exception:  # counted; the run goes on
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return time.perf_counter() - started, errors


def warm_pages(base: str) -> None:
    """Every page × query combination ``page_views`` asks for, once (one client walks them all)."""
    asyncio.run(page_views(base, len(PAGES) * len(QUERIES), 1))


def page_view_cpu(store: str, root: Path, count: int, clients: int) -> tuple[float, float, int]:
    """(server CPU s per view, views per second, errors) of ``count`` cached page views on a
    fresh server running the code of ``root``."""
    with one_portal(store, root=root) as (base, server):
        warm_pages(base)
        before = cpu_seconds([server.pid])
        seconds, errors = asyncio.run(page_views(base, count, clients))
        return (cpu_seconds([server.pid]) - before) / count, count / seconds, errors


def compare(store: str, baseline: Path, count: int, clients: int, rounds: int) -> int:
    runs: dict[str, list[tuple[float, float, int]]] = {"baseline": [], "this checkout": []}
    for _ in range(rounds):  # in turn, so that both see the same machine load
        runs["baseline"].append(page_view_cpu(store, baseline, count, clients))
        runs["this checkout"].append(page_view_cpu(store, ROOT, count, clients))
    print("| code | round | page views | errors | per second | server CPU s / view |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, results in runs.items():
        for i, (cpu, rate, errors) in enumerate(results, 1):
            print(f"| {name} | {i} | {count} | {errors} | {rate:,.1f} | {cpu:.4f} |")
    base = statistics.median(r[0] for r in runs["baseline"])
    now = statistics.median(r[0] for r in runs["this checkout"])
    print(f"\nserver CPU per page view (median of {rounds}): {now:.4f} s vs baseline {base:.4f} s = {now / base:.2f}×")
    return 0 if not any(r[2] for results in runs.values() for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_api")
    parser.add_argument("--store", default=f"sqlite:///{ROOT / 'data' / 'portal.db'}")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--page-views", type=int, default=200, help="page views measured (slower: fewer)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--baseline", type=Path, help="another checkout: compare page views with it (only those)")
    parser.add_argument("--rounds", type=int, default=2, help="with --baseline: measurements of each, in turn")
    args = parser.parse_args(argv)
    if args.baseline:
        return compare(args.store, args.baseline.resolve(), args.page_views, args.clients, args.rounds)

    with one_portal(args.store) as (base, server):
        api_requests(base, len(API_QUERIES) * args.clients, args.clients)  # fill the answer cache
        warm_pages(base)  # and the pages' caches
        rows = []
        before = cpu_seconds([server.pid])
        seconds, errors = api_requests(base, args.requests, args.clients)
        cpu = cpu_seconds([server.pid]) - before
        rows.append(("API /api/v1/figures (cached)", args.requests, seconds, errors, cpu))
        before = cpu_seconds([server.pid])
        seconds, errors = asyncio.run(page_views(base, args.page_views, args.clients))
        rows.append(("page views (cached)", args.page_views, seconds, errors, cpu_seconds([server.pid]) - before))
    print("| what | requests | errors | per second | server CPU s / request |")
    print("|---|---:|---:|---:|---:|")
    for name, count, seconds, errors, cpu in rows:
        print(f"| {name} | {count} | {errors} | {count / seconds:,.1f} | {cpu / count:.4f} |")
    api, pages = rows
    print(
        f"\nAPI requests per second = {(api[1] / api[2]) / (pages[1] / pages[2]):.1f}× page views per second; "
        f"server CPU per request = {(api[4] / api[1]) / (pages[4] / pages[1]):.3f}× a page view's"
    )
    return 0 if not (api[3] or pages[3]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
