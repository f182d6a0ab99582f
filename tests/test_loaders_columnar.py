"""The column-at-a-time loader (loaders/columnar.py) against the row path it stands in for:
the same files through both, in fresh stores, must give the same rejects file and not-paid
file byte for byte, the same working-store rows (every table; donors compared by pseudonym,
``person.id`` being a surrogate either path hands out in its own order), the same LoadResult
counts or the same failure. Files: a corpus of shapes (encodings, title rows, delimiters,
quoting, line endings, missing and extra columns, refunds, duplicates across chunks and
batches, files the fast path hands back to the row path) and hypothesis-made donations files
of mixed good and bad rows. On PostgreSQL too when PORTAL_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import csv
import io
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from loaders import columnar, load_file, store
from loaders import rows as checking
from loaders.messages import UnusableFile
from loaders.results import NothingLoaded
from portal.db import make_engine
from tests.loader_fixtures import KEY, donation_rows, load_reference, new_store

HEADER = [
    "receipt_no",
    "donated_on",
    "amount",
    "kind",
    "channel",
    "donor_type",
    "donor_name",
    "donor_phone",
    "programme",
]
ZH_HEADER = ["票据号", "捐赠日期", "捐赠金额（元）", "类型", "捐赠渠道", "捐赠人类型", "捐赠人", "联系电话", "项目名称"]


class Spy:
    """Counts the loads the column-at-a-time path finished and those it handed back."""

    def __init__(self, monkeypatch):
        self.done = self.fallbacks = 0
        real = columnar.ColumnLoad.run
        spy = self

        def run(self):
            try:
                out = real(self)
            except columnar.Fallback:
                spy.fallbacks += 1
                raise
            spy.done += 1
            return out

        monkeypatch.setattr(columnar.ColumnLoad, "run", run)


@pytest.fixture
def spy(monkeypatch):
    return Spy(monkeypatch)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A working store with the reference files loaded, copied for every load."""
    tmp = tmp_path_factory.mktemp("columnar-template")
    engine = new_store(tmp)
    load_reference(engine, tmp)
    engine.dispose()
    return tmp / "working.db"


STATE_SQL = {
    "donation": "SELECT d.receipt_no, d.programme, d.donated_on, d.amount_fen, d.is_refund, d.channel, d.platform, "
    "d.donor_type, p.pseudonym, d.batch_id FROM donation d LEFT JOIN person p ON p.id = d.donor_id "
    "ORDER BY d.receipt_no",
    "person": "SELECT pseudonym FROM person ORDER BY pseudonym",
    "batch": "SELECT id, kind, file_name, sha256, rows, loaded, rejected FROM batch ORDER BY id",
    "meta": "SELECT key, value FROM meta ORDER BY key",
    "programme": "SELECT * FROM programme ORDER BY code",
    "region": "SELECT * FROM region ORDER BY code",
    "child": "SELECT COUNT(*) FROM child",
    "disbursement": "SELECT COUNT(*) FROM disbursement",
    "service_record": "SELECT COUNT(*) FROM service_record",
}


def store_state(engine) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as c:
        for table, sql in STATE_SQL.items():
            out[table] = [tuple(r) for r in c.execute(text(sql))]
    return out


def outcome(engine, path: Path, **kw) -> tuple:
    """What one load gives: the result's counts (or the failure and its counts) and its lists."""
    try:
        r = load_file("donations", path, engine=engine, key=KEY, **kw)
        said = ("ok", r.rows, r.loaded, r.rejected, r.unchanged, r.not_paid, r.ignored_columns, r.batch_id)
    except NothingLoaded as exc:
        r = exc.result
        said = (type(exc).__name__, str(exc).replace(str(path.parent), "…"), r.rows, r.loaded, r.rejected, r.unchanged)
    except UnusableFile as exc:
        said = (type(exc).__name__, str(exc).replace(str(path.parent), "…"))
    lists = []
    for suffix in (".rejects.csv", ".not-paid.csv"):
        listed = path.with_name(path.name + suffix)
        lists.append(listed.read_bytes() if listed.exists() else None)
        listed.unlink(missing_ok=True)
    return (said, *lists)


def run_both(monkeypatch, tmp: Path, make_engine_for, files: list[tuple[str, bytes]], **kw) -> tuple:
    """Loads ``files`` in turn into a fresh store by each path; asserts they agree."""
    seen = {}
    for enabled in (False, True):
        monkeypatch.setattr(columnar, "ENABLED", enabled)
        folder = tmp / ("columns" if enabled else "rows")
        folder.mkdir(exist_ok=True)
        engine = make_engine_for(folder)
        said = []
        for name, content in files:
            path = folder / name
            path.write_bytes(content)
            said.append(outcome(engine, path, **kw))
        seen[enabled] = (said, store_state(engine))
        engine.dispose()
    rows_said, rows_state = seen[False]
    cols_said, cols_state = seen[True]
    for (name, _), a, b in zip(files, rows_said, cols_said, strict=True):
        assert b[0] == a[0], f"{name}: results differ"
        assert b[1] == a[1], f"{name}: rejects files differ"
        assert b[2] == a[2], f"{name}: not-paid files differ"
    assert cols_state == rows_state
    return rows_said


def sqlite_stores(template: Path):
    def make(folder: Path):
        shutil.copy(template, folder / "working.db")
        return make_engine(f"sqlite:///{folder / 'working.db'}")

    return make


def csv_bytes(header: list[str], rows: list[list], encoding: str = "utf-8", delimiter: str = ",", **kw) -> bytes:
    buffer = io.StringIO(newline="")
    w = csv.writer(buffer, delimiter=delimiter, **kw)
    w.writerow(header)
    w.writerows(rows)
    return buffer.getvalue().encode(encoding)


def good_rows(n: int, seed: int = 1, start: int = 0) -> list[list[str]]:
    import random

    return [[r.get(h, "") for h in HEADER] for r in donation_rows(random.Random(seed), n, start)]


def with_name(row: list[str], name: str) -> list[str]:
    return [*row[:6], name, *row[7:]]


def corpus() -> dict[str, list[tuple[str, bytes]]]:
    """Named cases, each a list of files loaded in turn into one store."""
    rows = good_rows(60)
    mixed = [list(r) for r in rows]
    mixed[3][2] = "abc"  # bad amount
    mixed[4][0] = mixed[1][0]  # duplicate
    mixed[5][1] = "2023/1/2"  # another date shape: the row function reads it
    mixed[6][3] = "退款"  # refund with a positive amount: rejected
    mixed[7][3], mixed[7][2] = "refund", "-12.50"
    mixed[8] = [""] * len(HEADER)  # blank row
    mixed[9] = ["-", " ", "", "", "", "", "", "", ""]  # only dashes and spaces: blank too
    mixed[10][4] = "卫星"  # unknown channel
    mixed[11][7] = "+86 139 0000 0001"
    mixed[12][7] = "12345"  # bad phone
    mixed[13][6] = "张 三"
    mixed[14][2] = "１２３.００"  # full-width digits
    mixed[15][0] = " R-SPACED "
    mixed[16][8] = "南通关爱"
    mixed[17][8] = "nowhere"
    mixed[18][1] = "2099-01-01"
    mixed[19][2] = "0"
    mixed[20][0] = "R1"
    mixed[21][2] = "1,234.50"
    cases: dict[str, list[tuple[str, bytes]]] = {
        "plain": [("d.csv", csv_bytes(HEADER, rows))],
        "mixed": [("d.csv", csv_bytes(HEADER, mixed))],
        "chinese header, BOM": [("d.csv", csv_bytes(ZH_HEADER, mixed, "utf-8-sig"))],
        "gb18030": [("d.csv", csv_bytes(ZH_HEADER, mixed, "gb18030"))],
        "utf-16 (row path)": [("d.csv", csv_bytes(ZH_HEADER, mixed, "utf-16"))],
        "tab": [("d.tsv", csv_bytes(HEADER, mixed, delimiter="\t"))],
        "semicolon": [("d.csv", csv_bytes(HEADER, mixed, delimiter=";"))],
        "crlf": [("d.csv", csv_bytes(HEADER, mixed, lineterminator="\r\n"))],
        "all quoted": [("d.csv", csv_bytes(HEADER, mixed, quoting=csv.QUOTE_ALL))],
        "title rows": [("d.csv", "2023年捐赠明细\n\n单位：元\n".encode() + csv_bytes(ZH_HEADER, mixed))],
        "trailing empty lines": [("d.csv", csv_bytes(HEADER, mixed) + b"\n\n\r\n")],
        "empty line among data (row path)": [
            ("d.csv", csv_bytes(HEADER, mixed[:10]) + b"\n" + csv_bytes(HEADER, mixed[10:]).split(b"\n", 1)[1])
        ],
        "quoted line break (row path)": [
            ("d.csv", csv_bytes(HEADER, [*mixed[:5], [*mixed[5][:6], "张\n三", *mixed[5][7:]]]))
        ],
        "lone CR (row path)": [("d.csv", csv_bytes(HEADER, mixed, lineterminator="\r"))],
        "short and long rows (row path)": [
            ("d.csv", csv_bytes(HEADER, [*mixed[:5], mixed[5][:4], [*mixed[6], "x", "y"], *mixed[7:]]))
        ],
        "NUL byte (row path)": [("d.csv", csv_bytes(HEADER, mixed).replace(b"R0000030", b"R00\x0000030"))],
        "huge cell (row path)": [
            ("d.csv", csv_bytes(HEADER, [*mixed[:5], [*mixed[5][:6], "名" * 140_000, *mixed[5][7:]]]))
        ],
        "bad byte in gb18030": [
            ("d.csv", csv_bytes(ZH_HEADER, mixed, "gb18030").replace("卫星".encode("gb18030"), b"\xff\xfe"))
        ],
        "columns shuffled, extra, no kind/name/phone": [
            (
                "d.csv",
                csv_bytes(
                    ["备注", "programme", "amount", "donated_on", "channel", "donor_type", "receipt_no"],
                    [["x", r[8], r[2], r[1], r[4], r[5], r[0]] for r in mixed],
                ),
            )
        ],
        "all rejected": [("d.csv", csv_bytes(HEADER, [[*r[:2], "abc", *r[3:]] for r in rows[:20]]))],
        "header only": [("d.csv", csv_bytes(HEADER, []))],
        "reload, then a corrected file": [
            ("d.csv", csv_bytes(HEADER, mixed)),
            ("d.csv", csv_bytes(HEADER, mixed)),
            ("e.csv", csv_bytes(HEADER, [[*r[:2], "99.00", *r[3:]] for r in mixed[:30]])),
        ],
    }
    return cases


@pytest.mark.parametrize("case", list(corpus()))
def test_corpus_same_as_row_path(case, monkeypatch, tmp_path, template, spy):
    run_both(monkeypatch, tmp_path, sqlite_stores(template), corpus()[case])
    if "row path" not in case and case not in ("utf-16 (row path)", "bad byte in gb18030", "header only"):
        assert spy.done and not spy.fallbacks, f"{case}: the column-at-a-time path was not used"
    if "(row path)" in case and case != "utf-16 (row path)":
        assert not spy.done


def test_strict_same_as_row_path(monkeypatch, tmp_path, template, spy):
    run_both(monkeypatch, tmp_path, sqlite_stores(template), corpus()["mixed"], strict=True)
    assert spy.done


@pytest.mark.parametrize("chunk,block", [(7, 4096), (50, 1024), (20_000, 2048)])
def test_duplicates_across_chunks_and_batches(chunk, block, monkeypatch, tmp_path, template, spy):
    """RowCheck's chunks decide which row a repeated key names; batches are Arrow's blocks."""
    monkeypatch.setattr(checking, "CHUNK", chunk)
    monkeypatch.setattr(columnar, "BLOCK_BYTES", block)
    monkeypatch.setattr(columnar, "BATCH_ROWS", block // 100)
    rows = good_rows(400)
    for i in range(0, 400, 9):  # keys repeated near and far, some three times
        rows[i][0] = rows[(i * 7) % 53][0]
    rows[100][2] = "bad"  # a rejected row does not register its key
    rows[101][0] = rows[100][0]
    said = run_both(monkeypatch, tmp_path, sqlite_stores(template), [("d.csv", csv_bytes(HEADER, rows))])
    assert said[0][0][3] > 40  # many rejected
    assert spy.done and not spy.fallbacks


# --------------------------------------------------------------------------- fuzzed files
RECEIPTS = st.one_of(
    st.sampled_from(
        ["R0000001", "R0000002", "R0000003", "", "-", " R0000004 ", "R1", "ＲＡ００００１", "R 00005", "x" * 70]
    ),
    st.integers(0, 10_000).map(lambda i: f"R{i:07d}"),
)
DATES = st.sampled_from(
    [
        "2023-03-01",
        "2023-12-31",
        "2023/1/2",
        "20230102",
        "2023年1月2日",
        "2099-01-01",
        "2023-13-01",
        "",
        "明天",
        "45000",
    ]
)
AMOUNTS = st.one_of(
    st.sampled_from(["1234.50", "12", "0", "0.00", "-5", "-5.00", "1,234.50", "¥12", "１２３", "1.234", "1.2", ".50"]),
    st.sampled_from(["abc", "", "(5.00)", "12345678901234", "00012.30", "1e3", " 12.00", "12.00 "]),
    st.integers(1, 10**6).map(lambda i: f"{i // 100}.{i % 100:02d}"),
)
KINDS = st.sampled_from(["", "", "", "donation", "refund", "退款", "捐赠", "bogus", "-"])
CHANNELS = st.sampled_from(
    ["腾讯公益", "支付宝公益", "cash", "银行转账", "慈善一日捐", "online", "网络平台", "卫星", "", " cash"]
)
DONOR_TYPES = st.sampled_from(["个人", "企业", "company", "individual", "", "外星人"])
NAMES = st.sampled_from(["张三", "张 三", "", "李四", "Ａｌｉｃｅ", " 王五 ", "=cmd|' /C calc'!A0"])
PHONES = st.sampled_from(
    [
        "13900000001",
        "13900000002",
        "",
        "+86 139 0000 0001",
        "123",
        "139000000012",
        "１３９００００００１",
        "-",
        "8613900000001",
    ]
)
PROGRAMMES = st.sampled_from(["NT-CARE", "南通关爱", "LY-HOSP", "nt-care", "nowhere", ""])
ROW = st.tuples(RECEIPTS, DATES, AMOUNTS, KINDS, CHANNELS, DONOR_TYPES, NAMES, PHONES, PROGRAMMES).map(list)
FILES = st.lists(st.one_of(ROW, ROW, ROW, ROW, st.just([""] * 9)), min_size=10, max_size=200)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=FILES, chunk=st.sampled_from([3, 20_000]), quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
def test_fuzzed_files_same_as_row_path(rows, chunk, quoting, monkeypatch, tmp_path, template):
    monkeypatch.setattr(checking, "CHUNK", chunk)
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(columnar, "BATCH_ROWS", 5)
    spy = Spy(monkeypatch)
    tmp = tmp_path / uuid.uuid4().hex[:8]
    tmp.mkdir()
    run_both(monkeypatch, tmp, sqlite_stores(template), [("d.csv", csv_bytes(HEADER, rows, quoting=quoting))])
    assert not spy.fallbacks
    FUZZED["files"] += 1
    FUZZED["read a column at a time"] += spy.done


FUZZED = {"files": 0, "read a column at a time": 0}

CELL = st.one_of(
    st.sampled_from(["R0000001", "R0000002", "2023-03-01", "12.50", "cash", "个人", "张三", "13900000001", "NT-CARE"]),
    st.sampled_from(['"R0000003"', '"12.50"x', 'a"b', '""', '"a""b"', '"cash" ', ' "个人"', '"', '"a,b"', "", " "]),
)
LINE_END = st.sampled_from(["\n", "\n", "\r\n"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.tuples(st.lists(CELL, min_size=9, max_size=9) | st.lists(CELL, min_size=8, max_size=10), LINE_END),
        min_size=1,
        max_size=30,
    ),
    header_end=LINE_END,
)
def test_hand_quoted_files_same_as_row_path(lines, header_end, monkeypatch, tmp_path, template):
    """Quotes where a CSV writer would not put them, rows of other widths: Arrow must read what
    Python's csv reads, or the file must go to the row path."""
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(columnar, "BATCH_ROWS", 5)
    tmp = tmp_path / uuid.uuid4().hex[:8]
    tmp.mkdir()
    body = ",".join(HEADER) + header_end + "".join(",".join(cells) + end for cells, end in lines)
    spy = Spy(monkeypatch)
    run_both(monkeypatch, tmp, sqlite_stores(template), [("d.csv", body.encode())])
    QUOTED["files"] += 1
    QUOTED["read a column at a time"] += spy.done


QUOTED = {"files": 0, "read a column at a time": 0}


def test_hand_quoted_files_partly_read_a_column_at_a_time():
    if QUOTED["files"]:
        assert QUOTED["read a column at a time"] >= QUOTED["files"] // 10, QUOTED


def test_fuzzed_files_mostly_read_a_column_at_a_time():
    """The fuzzed files above were not all handed to the row path (runs after them)."""
    if FUZZED["files"]:
        assert FUZZED["read a column at a time"] >= FUZZED["files"] // 2, FUZZED


# --------------------------------------------------------------------------- PostgreSQL
@pytest.fixture
def pg_stores(tmp_path):
    from tests.conftest import require_postgres

    admin_url = require_postgres()
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make(folder: Path):
        name = "col_" + uuid.uuid4().hex[:10]
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        from portal.stores import migrate

        engine = make_engine(admin_url.rsplit("/", 1)[0] + "/" + name)
        migrate(engine, "working")
        load_reference(engine, folder)
        return engine

    yield make
    with admin.connect() as c:
        for name in made:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


PG_CASES = ["mixed", "gb18030", "title rows", "quoted line break (row path)", "reload, then a corrected file"]


@pytest.mark.postgres
@pytest.mark.parametrize("case", PG_CASES)
@pytest.mark.parametrize("small", [False, True], ids=["", "small-caches"])
def test_corpus_same_as_row_path_postgres(case, small, monkeypatch, tmp_path, pg_stores, spy):
    monkeypatch.setattr(checking, "CHUNK", 7)
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(columnar, "BATCH_ROWS", 5)
    if small:  # people staged by COPY and looked up by join, as for a large file
        monkeypatch.setattr(store.PersonIds, "IN_CHUNK", 3)
        monkeypatch.setattr(store.PersonIds, "MAX_CACHE", 10)
    run_both(monkeypatch, tmp_path, pg_stores, corpus()[case])
    if "row path" not in case:
        assert spy.done and not spy.fallbacks
