"""Look before you stop: screenshots of the portal's pages as visitors see them.

    python -m tools.screenshots --store sqlite:///data/portal.db [--programme CZ-HOSPITAL …]
        [--page overview …] [--size desktop|phone|projector …] [--lang zh|en …] [--out DIR]

Starts the portal on the store (``python -m portal.serve``), opens each page × programme ×
language × size in Debian's chromium (Playwright) and writes full-page PNGs to
``artifacts/screenshots/look/`` (git-ignored), named page-programme-lang-size.png, then prints
every headline it read, so a withheld, ¥0, NaN or "—" headline is seen at once."""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"desktop": (1366, 900), "phone": (390, 844), "projector": (1920, 1080)}


def router_pages() -> tuple[str, ...]:
    """The pages streamlit_app.py routes to, read from its PAGES (importing it would run it)."""
    tree = ast.parse((ROOT / "streamlit_app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(n, "id", None) == "PAGES" for n in node.targets):
            return tuple(key for key, _icon in ast.literal_eval(node.value))
    raise AssertionError("streamlit_app.py has no PAGES")


PAGES = router_pages()
# how Debian's chromium runs headless here (the tests launch it the same way)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.screenshots", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="SQLAlchemy URL of the published store")
    parser.add_argument("--programme", action="append", default=None, help="programme code (default: all)")
    parser.add_argument("--page", action="append", default=None, choices=PAGES)
    parser.add_argument("--size", action="append", default=None, choices=list(SIZES))
    parser.add_argument("--lang", action="append", default=None, choices=["zh", "en"])
    parser.add_argument("--query", default="", help="more URL parameters, e.g. period=2023-Q4")
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "screenshots" / "look")
    parser.add_argument(
        "--all", action="store_true", help="every page, zh and en, 1366 and 390 px, and the board's projector at 1920"
    )
    args = parser.parse_args(argv)
    # (pages, sizes, extra URL parameters) of each round of pictures
    rounds = [(args.page or ["overview", "funds_raised", "board"], args.size or ["desktop", "phone"], args.query)]
    if args.all:  # `make screenshots`: the whole portal in one folder
        rounds = [(list(PAGES), ["desktop", "phone"], args.query), (["board"], ["projector"], "projector=1")]
    from playwright.sync_api import sync_playwright

    from bench.replicas import one_portal

    args.out.mkdir(parents=True, exist_ok=True)
    with one_portal(args.store) as (base, _server), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        for pages, sizes, query in rounds:
            for size in sizes:
                langs = args.lang or ["zh", "en"]
                _shoot(browser, base, pages, size, args.programme or ["all"], langs, query, args.out)
        browser.close()
    return 0


def _shoot(browser, base: str, pages, size: str, programmes, langs, query: str, out: Path) -> None:
    width, height = SIZES[size]
    tab = browser.new_page(viewport={"width": width, "height": height})
    for programme in programmes:
        for lang in langs:
            for page in pages:
                path = "" if page == "overview" else page
                extra = f"&{query}" if query else ""
                tab.goto(f"{base}/{path}?lang={lang}&programme={programme}{extra}")
                tab.wait_for_selector('[data-testid="stMain"] h1', timeout=30000)
                tab.wait_for_function(
                    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30000
                )
                tab.wait_for_timeout(1500)
                name = out / f"{page}-{programme}-{lang}-{size}.png"
                if size != "projector":  # Streamlit scrolls inside its main block: grow the window to it
                    tall = tab.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
                    tab.set_viewport_size({"width": width, "height": max(height, min(int(tall), 12000))})
                    tab.wait_for_timeout(1200)
                tab.screenshot(path=str(name))
                tab.set_viewport_size({"width": width, "height": height})
                labels = tab.locator('[data-testid="stMetricLabel"]').all_inner_texts()
                values = tab.locator('[data-testid="stMetricValue"]').all_inner_texts()
                read = "; ".join(f"{a}={b}" for a, b in zip(labels, values, strict=False))
                print(f"{name.name}: {read}")
    tab.close()


if __name__ == "__main__":
    sys.exit(main())
