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

from portal import board, formatting, periods, queries
from portal.db import make_engine
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
        text = formatting.cell(cell["figure"], cell["value"], cell["status"], lang, k, reason=cell["reason"])
        return text.replace("\u00a0", " ")  # pdftotext reads CNY's no-break space as a space
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


# ---------------------------------------------------------------- every programme's pack


def _latest_of(document: dict, programme: str, kind: str) -> str:
    return max(
        c["period"]
        for c in document["cells"]
        if c["programme"] == programme and periods.period_type(c["period"]) == kind and c["status"] == "published"
    )


@pytest.fixture(scope="module")
def programme_packs(sample_store, figures_json, tmp_path_factory):
    """The latest quarter's pack of every programme (languages taking turns) and the latest
    year's pack of all programmes in both languages: (programme, period, lang) -> pages of text."""
    _poppler()
    programmes = sorted({c["programme"] for c in figures_json["cells"]} - {"all"})
    wanted = [(p, _latest_of(figures_json, p, "quarter"), LANGS[i % 2]) for i, p in enumerate(programmes)]
    wanted += [("all", _latest_of(figures_json, "all", "year"), lang) for lang in LANGS]
    out = {}
    folder = tmp_path_factory.mktemp("packs")
    for programme, period, lang in wanted:
        path = folder / f"{programme}_{period}_{lang}.pdf"
        done = _portal(
            sample_store, "board-pack", "--period", period, "--programme", programme, "--lang", lang, "--out", str(path)
        )
        assert done.returncode == 0, done.stderr
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
        out[(programme, period, lang)] = {"path": path, "pages": text.stdout.split("\f")}
    return out


def _flat(text: str) -> str:
    return "".join(text.split())


def _markers(text: str, lang: str, k: int) -> int:
    labels = sorted(_withheld_labels(lang, k), key=len, reverse=True)
    return len(re.findall("|".join(re.escape(_flat(label)) for label in labels), _flat(text)))


def test_withheld_count_is_the_markers_in_the_tables(programme_packs, figures_json):
    """The notes' count of withheld figures is the number of markers the tables show, and the
    number of withheld cells the release has for what the tables list (the stage table: the
    headline rows are never withheld); at least one pack of the sample withholds some."""
    k, seen = figures_json["k"], 0
    for (programme, period, lang), pack in programme_packs.items():
        pages = pack["pages"]
        tables = [pages[1]] + [p for p in pages if _flat(t("board.stage_table", lang)) in _flat(p)]
        shown = sum(_markers(page, lang, k) for page in tables)
        expected = sum(
            1
            for c in figures_json["cells"]
            if (c["programme"], c["period"]) == (programme, period)
            and c["figure"] in board.STAGE_FIGURES
            and c["stage"]
            and not any(c[d] for d in DIMENSIONS if d != "stage")
            and c["status"] != "published"
        )
        notes = _flat(pages[-2] if not _flat(pages[-1]) else pages[-1])
        if expected:
            assert _flat(t("board.note_withheld", lang, n=expected)) in notes, (programme, period, lang)
        else:
            assert _flat(t("board.note_no_withheld", lang)) in notes, (programme, period, lang)
        assert shown == expected, (programme, period, lang, shown, expected)
        seen += expected
    assert seen, "no pack of the sample withholds anything: the count was not exercised"


def test_cover_is_the_summary_of_the_period(programme_packs, figures_json):
    """Page 1 carries the programme, the period, the as-of date and release, and the headline
    figures of the period, each beside the prior period and the same period last year, every
    value equal to the release's cell as formatted."""
    k = figures_json["k"]
    as_of = dt.date.fromisoformat(figures_json["as_of"])
    for (programme, period, lang), pack in programme_packs.items():
        cover = _flat(pack["pages"][0])
        assert _flat(formatting.period(period, lang)) in cover
        assert figures_json["release"] in cover and _flat(formatting.date(as_of, lang)) in cover
        lead = [f for f in board.COVER if _total(figures_json, f, period, programme) is not None]
        assert lead, (programme, period)
        for figure in lead:
            assert _flat(BY_KEY[figure].name(lang)) in cover, (programme, figure)
            for then in (period, periods.previous(period), periods.same_period_last_year(period)):
                cell = _total(figures_json, figure, then, programme)
                if cell is not None:
                    shown = formatting.cell(figure, cell["value"], cell["status"], lang, k, reason=cell["reason"])
                    assert _flat(shown) in cover, (programme, period, figure, then, shown)


def _outline(pdf: bytes) -> list[str]:
    """The titles of the PDF's bookmarks (fpdf2 writes outline items as plain objects)."""
    titles = []
    start = pdf.find(b"/Type /Outlines")
    for raw in re.findall(rb"/Title (\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]+>)", pdf[start:] if start >= 0 else b""):
        if raw.startswith(b"<"):
            titles.append(bytes.fromhex(raw[1:-1].decode()).decode("utf-16"))
        else:
            body = re.sub(rb"\\(.)", rb"\1", raw[1:-1])
            titles.append(body.decode("utf-16") if body.startswith(b"\xfe\xff") else body.decode("latin-1"))
    return titles


def test_pack_metadata_for_readers_and_screen_readers(programme_packs):
    """Title, author, subject, language, creation date (when it was made, not the as-of date)
    and an outline with a bookmark per section."""
    for (programme, period, lang), pack in programme_packs.items():
        info = subprocess.run(["pdfinfo", "-isodates", str(pack["path"])], capture_output=True, text=True, check=True)
        fields = dict(re.findall(r"^(\w+):\s+(.*)$", info.stdout, re.M))
        assert t("board.pack_title", lang) in fields["Title"] and formatting.period(period, lang) in fields["Title"]
        assert fields["Author"].strip() and fields["Subject"].strip()
        made = dt.datetime.fromisoformat(fields["CreationDate"].replace("Z", "+00:00"))
        assert abs((dt.datetime.now(dt.UTC) - made).total_seconds()) < 3600, fields["CreationDate"]
        pdf = pack["path"].read_bytes()
        assert f"/Lang ({'zh-CN' if lang == 'zh' else 'en-GB'})".encode() in pdf
        outline = _outline(pdf)
        for key in ("board.outline_cover", "board.headlines", "board.definitions", "board.notes"):
            assert t(key, lang) in outline, (programme, period, lang, key, outline)


def test_a_quarter_is_set_beside_a_quarter_of_the_yearly_standard(programme_packs, sample_store):
    """Like with like: a quarter's stage table lists each stage's yearly standard and its
    quarter share (÷ 4); a year's lists the yearly standard alone."""
    engine = make_engine(sample_store.settings.published_store_url, read_only=True)
    release = queries.current_release(engine=engine)
    standards = queries.standards(engine=engine, release_id=release.id)
    checked = 0
    for (programme, period, lang), pack in programme_packs.items():
        page = next((p for p in pack["pages"] if _flat(t("board.stage_table", lang)) in _flat(p)), None)
        if page is None or programme == "all":
            continue
        per_year = periods.per_year(period)
        lines = {_columns(line)[0]: _columns(line) for line in page.splitlines() if _columns(line)}
        for row in standards[standards.programme == programme].itertuples():
            line = lines.get(vocabulary("stage").label(row.stage, lang))
            if line is None:
                continue  # a stage with no cell this period
            assert formatting.money(row.yearly_yuan, lang) in line, (programme, period, line)
            if per_year != 1:
                assert formatting.money(row.yearly_yuan / per_year, lang) in line, (programme, period, line)
            checked += 1
    assert checked


def test_a_long_strange_programme_name_prints_cleanly(tmp_path):
    """A 200-character name with right-to-left marks, zero-width characters, an emoji, Arabic
    letters and markdown: the pack is written with no font warning on the terminal, the cover wraps
    the name, and the footer shortens it before the page number."""
    _poppler()
    from sqlalchemy import text

    from tests.page_fixtures import PROGRAMMES, build

    store = build(tmp_path / "portal.db", seed=5)
    name = "\u200f长名称\u200b项目😀مرحبا**粗体**:red[红]$x$" + "很长的项目名称" * 28
    with make_engine(store.url).begin() as connection:
        connection.execute(
            text("UPDATE label SET name_zh = :n, name_en = :n WHERE code = :c"), {"n": name, "c": PROGRAMMES[0]}
        )
    engine = make_engine(store.url, read_only=True)
    release = queries.current_release(engine=engine)
    quarter = max(
        p for p in queries.periods(engine=engine, release_id=release.id) if periods.period_type(p) == "quarter"
    )
    out = tmp_path / "pack.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "portal.cli", "--lang", "zh", "board-pack", "--period", quarter,
         "--programme", PROGRAMMES[0], "--out", str(out)],
        env={**os.environ, "PORTAL_PUBLISHED_URL": store.url},
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "missing" not in done.stderr and "glyph" not in done.stderr.lower(), done.stderr
    pages = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True).stdout
    cover, second = pages.split("\f")[:2]
    assert "长名称项目" in _flat(cover) and "很长的项目名称" * 28 in _flat(cover)  # wrapped, whole
    assert "**粗体**:red[红]$x$" in _flat(cover)  # markup in a name is printed as typed
    footer = [
        line for line in second.splitlines() if t("board.page", "zh", page=2, pages="").split("/")[0].strip() in line
    ]
    assert footer and "…" in footer[-1]  # shortened, and the page number still whole on its line
    assert re.search(r"第\s*2\s*/\s*\d+\s*页", footer[-1])
