"""Page script time against an empty Streamlit page, measured in the same run.

    python -m bench.pages [--store data/portal.db]

Each page of the router runs in AppTest once to fill the caches, then ``--runs`` times; the
median is compared with the same measurement of an empty page script."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("overview", "funds_raised", "disbursed_by_stage", "children_served", "volunteers", "about")


def _median_run(app, runs: int) -> float:
    app.run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        app.run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _entry(app: str, page: str) -> None:
    import runpy

    runpy.run_path(app, init_globals={"PORTAL_DEFAULT_PAGE": page}, run_name="__main__")


def page_times(store: Path, runs: int = 5) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    os.environ["PORTAL_PUBLISHED_URL"] = f"sqlite:///{store}"
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as empty:
        empty.write("import streamlit as st\nst.write('')\n")
    result = {"empty_page": _median_run(AppTest.from_file(empty.name, default_timeout=120), runs)}
    Path(empty.name).unlink()
    for page in PAGES:
        # through the router, as a permalink opens it (AppTest.switch_page runs the file alone)
        app = AppTest.from_function(_entry, args=(str(ROOT / "streamlit_app.py"), page), default_timeout=120)
        result[page] = _median_run(app, runs)
        if app.exception:
            raise RuntimeError(f"{page}: {app.exception[0].message}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages")
    parser.add_argument("--store", default=str(ROOT / "data" / "portal.db"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    times = page_times(Path(args.store), args.runs)
    if args.json:
        print(json.dumps(times))
        return 0
    base = times["empty_page"]
    print("| page | median s | × empty page |\n|---|---:|---:|")
    for page, seconds in times.items():
        print(f"| {page} | {seconds:.3f} | {seconds / base:.1f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
