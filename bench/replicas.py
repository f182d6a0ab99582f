"""N portal replicas behind nginx on loopback, and the load test through them.

    python -m bench.replicas --store data/portal.db --replicas 1,2 --sessions 10,50,200
    python -m bench.replicas ... --baseline /tmp/before   # another checkout, measured in turn

Each replica reads its own copy of the immutable published SQLite file (the plain recipe in
deploy/README.md). Everything listens on 127.0.0.1 and is stopped at the end."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench import loadtest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not become healthy in {timeout:.0f} s")


@contextlib.contextmanager
def one_portal(store_url: str, timeout: float = 90.0, *, root: Path = ROOT) -> Iterator[tuple[str, subprocess.Popen]]:
    """One portal (``python -m portal.serve``) on ``store_url`` at a free loopback port, healthy;
    yields (its base URL, its process) and stops it after. ``root``: the checkout whose code it
    runs (another worktree, for a baseline measured in the same run)."""
    port = free_port()
    env = {**os.environ, "PORTAL_PUBLISHED_URL": store_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "portal.serve", "--server.headless", "true", "--server.port", str(port),
         "--server.fileWatcherType", "none"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, timeout=timeout)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=20)


@contextlib.contextmanager
def cluster(
    store: Path,
    replicas: int,
    env: dict | None = None,
    *,
    copy: bool = True,
    root: Path = ROOT,
    replica_urls: list[str] | None = None,
) -> Iterator[tuple[str, list[int]]]:
    """Start the replicas and nginx; yield (public URL, replica pids). Each replica reads its
    own copy of the store, or with ``copy=False`` the store itself (to watch a re-publish);
    ``root``: the checkout whose code the replicas run; ``replica_urls``, when given, is filled
    with each replica's own URL (behind nginx)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is not installed")
    with tempfile.TemporaryDirectory(prefix="open-figures-replicas-") as tmp:
        run = Path(tmp)
        processes: list[subprocess.Popen] = []
        try:
            ports = []
            for i in range(replicas):
                path = run / f"portal-{i}.db" if copy else store
                if copy:
                    shutil.copyfile(store, path)
                port = free_port()
                ports.append(port)
                processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "portal.serve",
                            "--server.port",
                            str(port),
                            "--server.address",
                            "127.0.0.1",
                            "--server.headless",
                            "true",
                        ],
                        cwd=root,
                        env={**os.environ, **(env or {}), "PORTAL_PUBLISHED_URL": f"sqlite:///{path}"},
                        stdout=subprocess.DEVNULL,
                        stderr=open(run / f"replica-{i}.log", "w"),  # noqa: SIM115
                    )
                )
            for port in ports:
                wait_healthy(f"http://127.0.0.1:{port}")
            if replica_urls is not None:
                replica_urls.extend(f"http://127.0.0.1:{port}" for port in ports)
            public = free_port()
            config = string.Template(TEMPLATE.read_text()).safe_substitute(
                RUN=str(run),
                LISTEN=f"127.0.0.1:{public}",
                UPSTREAMS="\n".join(f"        server 127.0.0.1:{p};" for p in ports),
            )
            (run / "nginx.conf").write_text(config)
            started = subprocess.run(
                [nginx, "-c", str(run / "nginx.conf"), "-p", str(run), "-e", str(run / "error.log")],
                capture_output=True,
                text=True,
            )
            if started.returncode:
                raise RuntimeError(f"nginx did not start: {started.stderr.strip()}")
            processes.append(None)  # marks nginx as started
            url = f"http://127.0.0.1:{public}"
            wait_healthy(url)
            yield url, [p.pid for p in processes if p is not None]
        finally:
            if processes and processes[-1] is None:
                subprocess.run([nginx, "-c", str(run / "nginx.conf"), "-p", str(run), "-s", "stop"], check=False)
            for p in processes:
                if p is not None:
                    p.terminate()
            for p in processes:
                if p is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        p.wait(timeout=10)


def measure(store: Path, replicas: int, sessions: list[int], views: int, timeout: float, root: Path) -> list[dict]:
    """One cluster of ``replicas`` running the code of ``root``, warmed, then each session count."""
    rows, direct = [], []
    with cluster(store, replicas, root=root, replica_urls=direct) as (url, pids):
        # warm every replica directly with each page × query combination the sessions ask for
        # (through nginx, routing is random: a view left cold on one replica was built, at
        # 0.2-0.5 s of CPU, during the measured run)
        for replica in direct:
            asyncio.run(loadtest.run(replica, len(loadtest.PAGES) * len(loadtest.QUERIES), 1, timeout, []))
        for n in sessions:
            rows.append({"replicas": replicas, **asyncio.run(loadtest.run(url, n, views, timeout, pids)).row()})
            print(loadtest.table(rows[-1:]), flush=True)
    return rows


def ratios(rows: list[dict], baseline: list[dict]) -> str:
    lines = [
        "| replicas | sessions | p50 ratio | p95 ratio | server CPU s / view ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for now, then in zip(rows, baseline, strict=True):
        lines.append(
            f"| {now['replicas']} | {now['sessions']} | {now['p50_s'] / then['p50_s']:.2f}× "
            f"| {now['p95_s'] / then['p95_s']:.2f}× | {now['cpu_s_per_view'] / then['cpu_s_per_view']:.2f}× |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas")
    parser.add_argument("--store", default=str(ROOT / "data" / "portal.db"))
    parser.add_argument("--replicas", default="1,2")
    parser.add_argument("--sessions", default="10,50,200")
    parser.add_argument("--views", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument(
        "--baseline", type=Path, help="another checkout (git worktree): measured too, in turn, with ratios"
    )
    args = parser.parse_args(argv)
    sessions = [int(s) for s in args.sessions.split(",")]
    rows, before = [], []
    for n in (int(r) for r in args.replicas.split(",")):
        if args.baseline:  # each replica count: the baseline, then this checkout, on the same machine load
            print(f"baseline ({args.baseline}):", flush=True)
            before += measure(Path(args.store), n, sessions, args.views, args.timeout, args.baseline.resolve())
            print("this checkout:", flush=True)
        rows += measure(Path(args.store), n, sessions, args.views, args.timeout, ROOT)
    if args.baseline:
        print(f"\nbaseline ({args.baseline}):\n" + loadtest.table(before))
        print("\nthis checkout:\n" + loadtest.table(rows))
        print("\nthis checkout ÷ baseline:\n" + ratios(rows, before))
    else:
        print("\n" + loadtest.table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
