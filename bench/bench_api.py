"""Open-data API beside page views, on one replica: requests per second and server CPU per
request for cached ``/api/v1/figures`` answers, then the same count of page views (Streamlit's
own protocol, ``bench.loadtest.page_view``), against the same server in the same run.

    python -m bench.bench_api [--store sqlite:///data/portal.db] [--requests 2000] [--clients 8]

The store defaults to the one ``make run`` builds; its release must be trusted here (the
local key of ``data/``, or PORTAL_KEY_FINGERPRINTS)."""

from __future__ import annotations

import argparse
import asyncio
import http.client
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_api")
    parser.add_argument("--store", default=f"sqlite:///{ROOT / 'data' / 'portal.db'}")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--page-views", type=int, default=200, help="page views measured (slower: fewer)")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)

    with one_portal(args.store) as (base, server):
        api_requests(base, len(API_QUERIES) * args.clients, args.clients)  # fill the answer cache
        asyncio.run(page_views(base, len(PAGES) * 2, 2))  # and the pages' caches
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
