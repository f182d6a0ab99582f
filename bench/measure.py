"""Run one ``portal`` command in this (child) process and report its wall time and peak memory.

    python -m bench.measure load donations FILE

The last line on stdout is JSON: {"seconds": …, "max_rss_mb": …, "exit": …}."""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import time


def main() -> None:
    from portal import cli

    started = time.perf_counter()
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = cli.main(sys.argv[1:])
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "max_rss_mb": rss_mb, "exit": code, "output": output.getvalue()}))


if __name__ == "__main__":
    main()
