"""The board pack: `portal board-pack` writes a valid PDF whose text (pdftotext) carries the
pack's figures exactly as `portal figures` gives them, formatted by portal.formatting, with
Chinese in an embedded CJK font; withheld figures read "少于K人 / fewer than K", never 0.

Needs poppler-utils (pdftotext, pdfinfo, pdffonts): skips without it on a laptop, fails under
CI=true."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from portal import board, formatting, periods
from portal.figures import BY_KEY
from portal.i18n import LANGS, t
from portal.vocab import DIMENSIONS, vocabulary

from .conftest import ROOT


def _poppler() -> None:
    if all(shutil.which(tool) for tool in ("pdftotext", "pdfinfo", "pdffonts")):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("poppler-utils missing: CI must check the board pack's text")
    pytest.skip("no poppler-utils (pdftotext) on this machine")


def _portal(deployment, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args],
        env=deployment.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def figures_json(sample_store) -> dict:
    done = _portal(sample_store, "figures", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _latest_quarter(document: dict) -> str:
    return max(c["period"] for c in document["cells"] if periods.period_type(c["period"]) == "quarter")


@pytest.fixture(scope="module")
def packs(sample_store, figures_json, tmp_path_factory):
    """The pack of the latest quarter in both languages, through the command line."""
    _poppler()
    period = _latest_quarter(figures_json)
    out = {}
    for lang in LANGS:
        path = tmp_path_factory.mktemp("pack") / f"pack_{lang}.pdf"
        started = time.perf_counter()
        done = _portal(sample_store, "board-pack", "--period", period, "--lang", lang, "--out", str(path))
        seconds = time.perf_counter() - started
        assert done.returncode == 0, done.stderr
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
        print(f"board pack {lang} {period}: {pages} pages, {path.stat().st_size} bytes, {seconds:.1f} s")
        out[lang] = {"path": path, "text": text.stdout, "pages": pages, "stdout": done.stdout, "seconds": seconds}
    return period, out


def _total(document: dict, figure: str, period: str | None, programme: str = "all", **dims) -> dict | None:
    if period is None:
        return None
    for cell in document["cells"]:
        if (cell["figure"], cell["programme"], cell["period"]) != (figure, programme, period):
            continue
        if all(cell[d] == dims.get(d) for d in DIMENSIONS):
            return cell
    return None


def _shown(document: dict, figure: str, period: str, lang: str, k: int, **dims) -> str:
    """What the pack must print for a cell: its value or withheld label; where the cell does
    not exist, words (a ratio over zero, a period not reported), never a dash or a zero."""
    cell = _total(document, figure, period, **dims)
    if cell is not None:
        return formatting.cell(cell["figure"], cell["value"], cell["status"], lang, k, reason=cell["reason"])
    ratio = BY_KEY[figure].ratio
    if ratio and _total(document, ratio[1], period, **dims) is not None:
        return t(f"cell.no_denominator.{figure}", lang)
    return t("cell.not_reported", lang)


def _withheld_labels(lang: str, k: int) -> set[str]:
    return {t("cell.withheld", lang, k=k), t("cell.status_withheld", lang)}


def _columns(line: str) -> list[str]:
    return [part for part in re.split(r"\s{2,}", line.strip()) if part]


@pytest.mark.parametrize("lang", LANGS)
def test_pack_is_a_pdf_with_an_embedded_cjk_font(packs, lang):
    _, out = packs
    pack = out[lang]
    assert pack["path"].read_bytes().startswith(b"%PDF-")
    fonts = subprocess.run(["pdffonts", str(pack["path"])], capture_output=True, text=True, check=True).stdout
    assert "NotoSansCJK" in fonts
    assert all(line.split()[-4] == "yes" for line in fonts.splitlines()[2:])  # every font embedded
    # cover, headlines, at least one chart, stage table, definitions, notes
    assert pack["pages"] >= 6
    assert str(pack["pages"]) in pack["stdout"]


@pytest.mark.parametrize("lang", LANGS)
def test_headline_rows_are_the_published_cells(packs, figures_json, lang):
    period, out = packs
    text, k = out[lang]["text"], figures_json["k"]
    prior, last = periods.previous(period), periods.same_period_last_year(period)
    rows = {}
    for line in text.splitlines():
        cells = _columns(line)
        if cells and cells[0] in {BY_KEY[f].name(lang) for f in board.HEADLINES} and len(cells) == 8:
            rows.setdefault(cells[0], cells)
    checked = 0
    for figure in board.HEADLINES:
        now = _total(figures_json, figure, period)
        if now is None:
            continue
        row = rows[BY_KEY[figure].name(lang)]
        assert row[1] == _shown(figures_json, figure, period, lang, k), figure
        assert row[2] == _shown(figures_json, figure, prior, lang, k), figure
        assert row[5] == _shown(figures_json, figure, last, lang, k), figure
        assert board.DASH not in (row[1], row[2], row[5])
        for before, change, pct, then in ((row[2], row[3], row[4], prior), (row[5], row[6], row[7], last)):
            if _total(figures_json, figure, then) is None or {row[1], before} & _withheld_labels(lang, k):
                assert change == pct == board.DASH  # no difference with a withheld or absent side
            else:
                assert change[0] in "+-±", (figure, change)
        checked += 1
    assert checked >= len(board.HEADLINES) - 2


@pytest.mark.parametrize("lang", LANGS)
def test_stage_table_carries_each_stage_as_published(packs, figures_json, lang):
    period, out = packs
    text, k = " ".join(out[lang]["text"].split()), figures_json["k"]
    stages = {c["stage"] for c in figures_json["cells"] if c["stage"] and c["period"] == period and not c["region"]}
    assert stages
    for stage in stages:
        expected = [_shown(figures_json, f, period, lang, k, stage=stage) for f in board.STAGE_FIGURES]
        row = " ".join([vocabulary("stage").label(stage, lang), *expected])
        assert row in text, row


@pytest.mark.parametrize("lang", LANGS)
def test_withheld_figures_are_explained_never_zero(packs, figures_json, lang):
    """Headlines are never withheld; every withheld label the pack shows (in the stage table)
    is explained once with its reason; a pack showing none says so."""
    period, out = packs
    text, k = "".join(out[lang]["text"].split()), figures_json["k"]
    cells = [c for c in figures_json["cells"] if c["programme"] == "all" and c["period"] == period]
    headlines = [c for c in cells if c["figure"] in board.HEADLINES and not any(c[d] for d in DIMENSIONS)]
    assert headlines and all(c["status"] == "published" for c in headlines)
    stages = [
        c
        for c in cells
        if c["figure"] in board.STAGE_FIGURES and c["stage"] and not any(c[d] for d in DIMENSIONS if d != "stage")
    ]
    shown = {
        (formatting.withheld(k, lang, c["reason"], c["figure"]), c["reason"])
        for c in stages
        if c["status"] != "published"
    }
    for label, reason in shown:
        line = f"“{label}”{'：' if lang == 'zh' else ': '}{formatting.reason(reason, lang, k)}"
        assert "".join(line.split()) in text, line
    if not shown:
        assert "".join(t("board.note_no_withheld", lang).split()) in text


@pytest.mark.parametrize("lang", LANGS)
def test_definitions_and_as_of_come_from_the_registry(packs, figures_json, lang):
    _, out = packs
    text = "".join(out[lang]["text"].split())
    for figure in board.HEADLINES:
        assert "".join(BY_KEY[figure].definition(lang).split()) in text, figure
    assert figures_json["release"] in text
    as_of = formatting.date(dt.date.fromisoformat(figures_json["as_of"]), lang)
    assert "".join(as_of.split()) in text


def test_bad_period_and_programme_are_refused(sample_store, figures_json, tmp_path):
    month = max(c["period"] for c in figures_json["cells"] if periods.period_type(c["period"]) == "month")
    for args in (("--period", month), ("--period", "1999"), ("--period", "2023", "--programme", "NOPE")):
        done = _portal(sample_store, "--lang", "en", "board-pack", *args, "--out", str(tmp_path / "x.pdf"))
        assert done.returncode == 2 and done.stderr.strip() and "Traceback" not in done.stderr
        assert not (tmp_path / "x.pdf").exists()
