"""Load test that measures the server, not the load generator.

A real browser costs far more CPU than the Streamlit server it visits, so sessions here are
driven by a light client that speaks Streamlit's own websocket protocol: open
``/_stcore/stream``, send a ``rerun_script`` BackMsg with the page and query string, read
ForwardMsgs until ``script_finished``. Bounded in count and time; loopback only.

    python -m bench.loadtest --url http://127.0.0.1:8501 --sessions 10,50,200 [--pids 123,456]

Reports per run: sessions, page views, p50/p95 seconds until the script finished, errors, and
server CPU seconds per page view (from /proc of the server processes)."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

# url paths of the pages; "" is the default page (overview)
PAGES = ("", "funds_raised", "disbursed_by_stage", "children_served", "volunteers")
QUERIES = (
    "",
    "lang=en",
    "programme=NT-CARE&ptype=year&period=2023",
    "lang=en&programme=all&ptype=quarter&period=2023-Q4",
)


@dataclass
class Run:
    sessions: int
    views: int = 0
    errors: int = 0
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    def row(self) -> dict:
        ordered = sorted(self.seconds)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")
        return {
            "sessions": self.sessions,
            "views": self.views,
            "errors": self.errors,
            "p50_s": statistics.median(ordered) if ordered else float("nan"),
            "p95_s": p95,
            "cpu_s_per_view": self.cpu_seconds / self.views if self.views else float("nan"),
            "wall_s": self.wall_seconds,
        }


def _loopback_only(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"load tests target this machine only (loopback), not {host}")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the server processes and their children, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        total += (utime + stime + cutime + cstime) / ticks
    return total


RELEASE_ID = re.compile(r"\b\d{4}-\d{2}-\d{2}\.\d+\b")


async def page_view(
    url: str, page: str, query: str, timeout: float, releases: set | None = None, elements: list | None = None
) -> float:
    """One session opening one page: seconds until its script finished. With ``releases``,
    the release ids the page's text named are added to it; with ``elements``, the text of
    every element drawn."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    parsed = urlparse(url)
    stream = f"ws://{parsed.netloc}/_stcore/stream"
    started = time.perf_counter()
    async with websockets.connect(
        stream,
        subprotocols=["streamlit"],
        origin=f"http://{parsed.netloc}",
        max_size=64 * 2**20,
        open_timeout=timeout,
    ) as ws:
        message = BackMsg()
        message.rerun_script.query_string = query
        message.rerun_script.page_name = page
        await ws.send(message.SerializeToString())
        while True:
            data = await asyncio.wait_for(ws.recv(), timeout=timeout)
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "page_not_found":
                raise RuntimeError(f"page not found: {page}")
            if kind == "delta" and forward.delta.new_element.WhichOneof("type") == "exception":
                raise RuntimeError(f"exception on {page}?{query}")
            if elements is not None and kind == "delta":
                elements.append(str(forward.delta.new_element))
            if releases is not None and kind == "delta":
                releases.update(RELEASE_ID.findall(str(forward.delta.new_element)))
            if kind == "script_finished":
                if forward.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    raise RuntimeError(f"script ended with status {forward.script_finished}")
                return time.perf_counter() - started


async def run(url: str, sessions: int, views_per_session: int, timeout: float, pids: list[int]) -> Run:
    result = Run(sessions)
    cpu_before = cpu_seconds(pids) if pids else 0.0
    started = time.perf_counter()

    async def one_session(i: int) -> None:
        for v in range(views_per_session):
            page = PAGES[(i + v) % len(PAGES)]
            query = QUERIES[(i * 7 + v) % len(QUERIES)]
            try:
                result.seconds.append(await page_view(url, page, query, timeout))
                result.views += 1
            except Exception as exc:  # counted, reported; the run goes on
                result.errors += 1
                print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)

    await asyncio.wait_for(asyncio.gather(*(one_session(i) for i in range(sessions))), timeout=timeout * 20)
    result.wall_seconds = time.perf_counter() - started
    result.cpu_seconds = (cpu_seconds(pids) - cpu_before) if pids else float("nan")
    return result


def table(rows: list[dict], label: str = "") -> str:
    lines = [
        "| replicas | sessions | views | errors | p50 s | p95 s | server CPU s / view |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.get('replicas', label)} | {r['sessions']} | {r['views']} | {r['errors']} | {r['p50_s']:.2f} "
            f"| {r['p95_s']:.2f} | {r['cpu_s_per_view']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest")
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--sessions", default="10,50,200")
    parser.add_argument("--views", type=int, default=2, help="page views per session")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--pids", default="", help="server process ids, for CPU seconds per view")
    parser.add_argument("--warm", type=int, default=1, help="warm-up views before measuring (fills caches)")
    args = parser.parse_args(argv)
    _loopback_only(args.url)
    pids = [int(p) for p in args.pids.split(",") if p]
    if args.warm:
        asyncio.run(run(args.url, len(PAGES) * len(QUERIES), args.warm, args.timeout, []))
    rows = []
    for n in (int(s) for s in args.sessions.split(",")):
        rows.append(asyncio.run(run(args.url, n, args.views, args.timeout, pids)).row())
        print(json.dumps(rows[-1]), flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
