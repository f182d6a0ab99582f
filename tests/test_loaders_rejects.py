"""One test per bad-input rule of raw-formats.md: the bad row is rejected with its Excel row
number, column, reason (in the user's language) and masked value; the other rows load; nothing
else changes. Files that cannot be used change nothing and raise UnusableFile (exit 2)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re

import pytest

from loaders import KINDS, AllRowsRejected, UnusableFile, load_file
from loaders.personal import id_check_char
from loaders.rejects import mask_id, mask_phone
from portal.i18n import messages
from tests.loader_fixtures import (
    KEY,
    children_rows,
    make_id,
    registered_store,
    rows_of,
    snapshot,
    write_dicts,
)

BAD = 2  # index of the mutated row: Excel row BAD + 2 (header is row 1)
N = 6
TABLE = {
    "donations": ("donation", "receipt_no"),
    "children": ("child", None),
    "disbursements": ("disbursement", "payment_no"),
    "volunteer_hours": ("service_record", "record_no"),
    "stage_standards": ("stage_standard", None),
    "regions": ("region", "code"),
    "programmes": ("programme", "code"),
}


@pytest.fixture
def env(tmp_path):
    return registered_store(tmp_path, N)


def valid_rows(kind: str, env) -> list[dict]:
    _engine, _tmp, register, _other = env
    rng = random.Random(kind)
    if kind == "donations":
        return [
            {
                "receipt_no": f"R{i}",
                "donated_on": "2023-03-01",
                "amount": f"{10 + i}.50",
                "kind": "",
                "channel": "现金",
                "donor_type": "个人",
                "donor_name": "张三",
                "donor_phone": f"1380000{i:04d}",
                "programme": "NT-CARE",
            }
            for i in range(N)
        ]
    if kind == "children":
        rows = children_rows(rng, N)
        for r in rows:
            r.update(gender="", birth_date="", exited_on="")
        return rows
    if kind == "disbursements":
        return [
            {
                "payment_no": f"P{i}",
                "paid_on": "2023-09-01",
                "id_no": register[i]["id_no"],
                "name": "李四",
                "stage": "小学",
                "school_year": "2023-2024",
                "amount": "1200",
                "purpose": "助学",
                "programme": "NT-CARE",
            }
            for i in range(N)
        ]
    if kind == "volunteer_hours":
        return [
            {
                "record_no": f"V{i}",
                "volunteer_name": "王五",
                "volunteer_id_no": "",
                "volunteer_phone": f"1390000{i:04d}",
                "county": "海门区",
                "served_on": "2023-05-01",
                "hours": "2",
                "start_time": "",
                "end_time": "",
                "activity": "入户走访",
                "child_id_no": register[i]["id_no"],
                "programme": "NT-CARE",
            }
            for i in range(N)
        ]
    if kind == "stage_standards":
        stages = ["小学", "初中", "高中", "中职", "大一", "幼儿园"]
        return [{"programme": "NT-CARE", "stage": s, "yearly_amount": "2400"} for s in stages[:N]]
    if kind == "regions":
        return [
            {"code": f"3207{i:02d}", "name_zh": f"测试区{i}", "name_en": f"Test {i}", "parent_code": "320600"}
            for i in range(1, N + 1)
        ]
    if kind == "programmes":
        return [
            {"code": f"P-{i}", "name_zh": f"项目{i}", "name_en": f"Programme {i}", "started_on": "2020-01-01"}
            for i in range(N)
        ]
    raise AssertionError(kind)


def key_of(kind: str, row: dict):
    return {
        "donations": "receipt_no",
        "disbursements": "payment_no",
        "volunteer_hours": "record_no",
        "regions": "code",
        "programmes": "code",
    }.get(kind)


def reason_matches(text: str, key: str, lang: str) -> bool:
    template = messages()[f"loader.{key}"][lang]
    pattern = "".join(
        ".+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[a-z_]+\})", template)
    )
    return re.fullmatch(pattern, text) is not None


def with_check(first17: str) -> str:
    return first17 + id_check_char(first17)


def swap_check(id_no: str) -> str:
    return id_no[:-1] + ("0" if id_no[-1] != "0" else "1")


def opposite_gender(id_no: str) -> str:
    return "女" if int(id_no[16]) % 2 else "男"


CASES = [
    # kind, column, bad value (or callable(row) -> value), reason key, masking
    ("donations", "receipt_no", "", "required_missing", None),
    ("donations", "donated_on", "2023-02-30", "bad_date", None),
    ("donations", "donated_on", "2099-01-01", "future_date", None),
    ("donations", "amount", "十元", "bad_amount", None),
    ("donations", "amount", "1.234", "too_many_decimals", None),
    ("donations", "amount", "-5", "negative_not_refund", None),
    ("donations", "amount", "0", "amount_not_positive", None),
    ("donations", "channel", "微信红包", "unknown_vocab", None),
    ("donations", "donor_type", "外星人", "unknown_vocab", None),
    ("donations", "programme", "NO-SUCH", "unknown_programme", None),
    ("donations", "donor_phone", "12", "bad_phone", "phone"),
    ("donations", "receipt_no", lambda rows: rows[0]["receipt_no"], "duplicate_key", None),
    ("children", "id_no", "1234567", "bad_id_length", "id"),
    ("children", "id_no", lambda rows: rows[BAD]["id_no"][:17] + "A", "bad_id_chars", "id"),
    ("children", "id_no", lambda rows: swap_check(rows[BAD]["id_no"]), "bad_id_checksum", "id"),
    ("children", "id_no", lambda rows: with_check("32061420231399123"), "bad_id_birth", "id"),
    ("children", "id_no", lambda rows: rows[0]["id_no"], "duplicate_key", "id"),
    ("children", "gender", lambda rows: opposite_gender(rows[BAD]["id_no"]), "id_gender_mismatch", None),
    ("children", "gender", "未知", "bad_gender", None),
    ("children", "birth_date", "2001-01-01", "id_birth_mismatch", None),
    ("children", "county", "火星区", "unknown_region", None),
    ("children", "county", "开发区", "ambiguous_region", None),
    ("children", "category", "流浪儿童", "unknown_vocab", None),
    ("children", "enrolled_on", "", "required_missing", None),
    ("children", "enrolled_on", "1990-01-01", "enrolled_before_birth", None),
    ("children", "exited_on", "2022-01-01", "exited_before_enrolled", None),
    ("children", "paired", "也许", "bad_bool", None),
    ("children", "programme", "NO-SUCH", "unknown_programme", None),
    ("disbursements", "id_no", lambda rows: make_id(random.Random(99)), "child_not_registered", "id"),
    ("disbursements", "id_no", "other-programme", "child_not_registered", "id"),
    ("disbursements", "amount", "0", "amount_not_positive", None),
    ("disbursements", "amount", "-100", "amount_not_positive", None),
    ("disbursements", "stage", "研究生", "unknown_vocab", None),
    ("disbursements", "school_year", "2023-2025", "bad_school_year", None),
    ("disbursements", "purpose", "旅游", "unknown_vocab", None),
    ("disbursements", "paid_on", "2023/9/31", "bad_date", None),
    ("disbursements", "payment_no", lambda rows: rows[0]["payment_no"], "duplicate_key", None),
    ("volunteer_hours", "hours", "25", "bad_hours", None),
    ("volunteer_hours", "hours", "0", "bad_hours", None),
    ("volunteer_hours", "hours", "两小时", "bad_hours", None),
    ("volunteer_hours", "hours", "", "hours_missing", None),
    ("volunteer_hours", "end_time", "times", "end_not_after_start", None),
    ("volunteer_hours", "end_time", "other-day", "times_not_same_day", None),
    ("volunteer_hours", "start_time", "bad-time", "bad_time", None),
    ("volunteer_hours", "volunteer_id_no", "both-empty", "volunteer_ident_missing", None),
    ("volunteer_hours", "volunteer_id_no", "3206", "bad_id_length", "id"),
    ("volunteer_hours", "child_id_no", lambda rows: make_id(random.Random(7)), "child_not_registered", "id"),
    ("volunteer_hours", "county", "火星区", "unknown_region", None),
    ("volunteer_hours", "activity", "跳舞", "unknown_vocab", None),
    ("stage_standards", "yearly_amount", "0", "amount_not_positive", None),
    ("stage_standards", "stage", "研究生", "unknown_vocab", None),
    ("regions", "code", "3206", "bad_region_code", None),
    ("regions", "parent_code", "32", "bad_region_code", None),
    ("programmes", "name_zh", "", "required_missing", None),
    ("programmes", "started_on", "去年", "bad_date", None),
]


def apply_case(kind, column, bad, rows, env):
    row = rows[BAD]
    if callable(bad):
        row[column] = bad(rows)
    elif bad == "other-programme":
        row[column] = env[3][0]["id_no"]  # on LY-HOSP's register, not NT-CARE's
    elif bad == "times":
        row.update(hours="", start_time="10:00", end_time="09:00")
    elif bad == "other-day":
        row.update(hours="", start_time="2023-05-01 10:00", end_time="2023-05-02 09:00")
    elif bad == "bad-time":
        row.update(hours="", start_time="25:00", end_time="26:00")
    elif bad == "both-empty":
        row.update(volunteer_id_no="", volunteer_phone="")
    else:
        row[column] = bad
    return row[column]


@pytest.mark.parametrize(
    ("kind", "column", "bad", "reason", "pii"), CASES, ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in CASES]
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_row_rule(env, kind, column, bad, reason, pii, lang):
    engine, tmp, _register, _other = env
    db = tmp / "working.db"
    if reason == "ambiguous_region":
        two = [
            {"code": "320691", "name_zh": "开发区", "name_en": "Dev zone A", "parent_code": "320600"},
            {"code": "320692", "name_zh": "开发区", "name_en": "Dev zone B", "parent_code": "320600"},
        ]
        load_file("regions", write_dicts(tmp / "dev.csv", two), engine=engine, key=KEY)
    rows = valid_rows(kind, env)
    raw_value = apply_case(kind, column, bad, rows, env)
    table, _key = TABLE[kind]
    before = snapshot(db)
    path = write_dicts(tmp / f"{kind}.csv", rows)
    result = load_file(kind, path, engine=engine, key=KEY, lang=lang)
    assert (result.rows, result.loaded, result.rejected) == (N, N - 1, 1)
    rejects = list(csv.reader(io.StringIO((tmp / f"{kind}.csv.rejects.csv").read_text(encoding="utf-8-sig"))))
    assert len(rejects) == 2
    row_no, col, text, value = rejects[1]
    assert row_no == str(BAD + 2)
    assert col == column
    assert reason_matches(text, reason, lang), text
    if pii == "id" and raw_value:
        assert value == mask_id(raw_value) and (len(raw_value) < 9 or raw_value not in value)
    if pii == "phone":
        assert value == mask_phone(raw_value)
    after = snapshot(db)
    # nothing else changed: every other table is as it was (person/batch/meta grow by this load only)
    for name in before:
        if name not in (table, "person", "batch", "meta"):
            assert after[name] == before[name], name
    assert len(after["batch"]) == len(before["batch"]) + 1
    new_rows = len(after[table]) - len(before[table])
    assert new_rows == N - 1
    k = key_of(kind, rows[0])
    if k:
        keys = {r[k] for i, r in enumerate(rows) if i != BAD}
        col_name = {
            "donations": "receipt_no",
            "disbursements": "payment_no",
            "volunteer_hours": "record_no",
            "regions": "code",
            "programmes": "code",
        }[kind]
        stored = {x for (x,) in rows_of(db, f"SELECT {col_name} FROM {table}")}
        assert keys <= stored


def test_refund_rows(env):
    """A refund is written negative (raw-formats.md); a positive one is rejected, not flipped."""
    engine, tmp, *_ = env
    rows = valid_rows("donations", env)
    rows[0].update(kind="退款", amount="20")
    rows[1].update(kind="refund", amount="-30.5")
    result = load_file("donations", write_dicts(tmp / "d.csv", rows), engine=engine, key=KEY, lang="en")
    assert (result.loaded, result.rejected) == (len(rows) - 1, 1)
    db = tmp / "working.db"
    got = dict(
        rows_of(
            db, "SELECT receipt_no, amount_fen * (CASE WHEN is_refund THEN -1 ELSE 1 END) FROM donation WHERE is_refund"
        )
    )
    assert got == {"R1": 3050}
    rejects = list(csv.reader(io.StringIO((tmp / "d.csv.rejects.csv").read_text(encoding="utf-8-sig"))))
    assert rejects[1][:2] == ["2", "amount"] and reason_matches(rejects[1][2], "refund_not_negative", "en")


# ------------------------------------------------------------------ files that cannot be used
def unusable(env, name: str, content: bytes | None = None, kind: str = "donations", **kw):
    engine, tmp, *_ = env
    db = tmp / "working.db"
    path = tmp / name
    if content is not None:
        path.write_bytes(content)
    before = snapshot(db)
    with pytest.raises(UnusableFile) as exc:
        load_file(kind, path, engine=engine, key=KEY, **kw)
    assert snapshot(db) == before
    msg = str(exc.value)
    assert "\n" not in msg
    assert not (tmp / f"{name}.rejects.csv").exists()
    return msg


DONATION_HEADER = "receipt_no,donated_on,amount,channel,donor_type,programme\n"


def test_unknown_kind(env):
    msg = unusable(env, "d.csv", DONATION_HEADER.encode(), kind="gifts")
    assert "gifts" in msg and all(k in msg for k in KINDS)


def test_missing_required_column(env):
    msg = unusable(
        env,
        "d.csv",
        "receipt_no,donated_on,channel,donor_type,programme\nR1,2023-01-01,cash,个人,NT\n".encode(),
        lang="en",
    )
    assert "d.csv" in msg and '"amount"' in msg


def test_missing_hours_columns(env):
    msg = unusable(
        env, "v.csv", b"record_no,volunteer_name,volunteer_phone,county,served_on,programme\n", kind="volunteer_hours"
    )
    assert "v.csv" in msg and "签到" in msg


def test_unreadable_encoding(env):
    msg = unusable(env, "d.csv", DONATION_HEADER.encode() + b"R1,\xff\xfe\x80\xff,1,\xff\xff,x,y\n" * 3, lang="en")
    assert "encoding" in msg


def test_mixed_encoding_midway(env):
    good = "".join(f"R{i},2023-01-01,5,现金,个人,NT-CARE\n" for i in range(3000)).encode("gb18030")
    msg = unusable(env, "d.csv", DONATION_HEADER.encode() + good + b"R9,\xff\xff,1,x,y,z\n", lang="en")
    assert "d.csv" in msg


def test_empty_file(env):
    assert "d.csv" in unusable(env, "d.csv", b"")
    assert "d.csv" in unusable(env, "d.csv", b"\n\n , ,\n")


def test_header_only(env):
    msg = unusable(env, "d.csv", DONATION_HEADER.encode(), lang="en")
    assert "no data rows" in msg


def test_duplicate_column(env):
    msg = unusable(env, "d.csv", ("票据号,捐赠编号," + DONATION_HEADER[11:]).encode("utf-8"), lang="en")
    assert "票据号" in msg and "捐赠编号" in msg


def test_old_xls_and_missing_file(env):
    assert ".xlsx" in unusable(env, "d.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert "nope.csv" in unusable(env, "nope.csv")


def test_broken_xlsx(env):
    assert "d.xlsx" in unusable(env, "d.xlsx", b"PK\x03\x04not really a zip")


def test_all_rows_bad_is_a_failed_load_that_writes_nothing(env):
    """Every row rejected: no rows and no batch (test_loaders_spec.py has the message)."""
    engine, tmp, *_ = env
    rows = valid_rows("donations", env)
    for r in rows:
        r["programme"] = "NO-SUCH"
    before = snapshot(tmp / "working.db")
    with pytest.raises(AllRowsRejected) as exc:
        load_file("donations", write_dicts(tmp / "d.csv", rows), engine=engine, key=KEY)
    assert (exc.value.result.loaded, exc.value.result.rejected) == (0, N)
    assert snapshot(tmp / "working.db") == before
    assert (tmp / "d.csv.rejects.csv").exists()


def test_children_derive_gender_birth_and_age_band(env):
    engine, tmp, *_ = env
    rng = random.Random(5)
    births = [dt.date(2023, 1, 5) - dt.timedelta(days=365 * a + 10) for a in (3, 8, 13, 16, 19)]
    rows = children_rows(rng, len(births))
    for r, b in zip(rows, births, strict=True):
        r["id_no"] = make_id(rng, b)
        r["enrolled_on"] = "2023-01-05"
    load_file("children", write_dicts(tmp / "c.csv", rows), engine=engine, key=KEY)
    bands = sorted(
        b
        for (b,) in rows_of(
            tmp / "working.db", "SELECT age_band FROM child WHERE batch_id = (SELECT MAX(id) FROM batch)"
        )
    )
    assert bands == sorted(["0-5", "6-11", "12-14", "15-17", "18+"])


@pytest.mark.parametrize("small", [2, 1000], ids=["numpy-registry", "dict-registry"])
def test_duplicate_key_across_chunks(env, monkeypatch, small):
    import loaders.rows as checking

    engine, tmp, *_ = env
    monkeypatch.setattr(checking, "CHUNK", 3)
    monkeypatch.setattr(checking.KeyRegistry, "SMALL", small)
    rows = [*valid_rows("donations", env), dict(valid_rows("donations", env)[1], amount="99")]
    result = load_file("donations", write_dicts(tmp / "d.csv", rows), engine=engine, key=KEY, lang="en")
    assert (result.rows, result.loaded, result.rejected) == (len(rows), len(rows) - 1, 1)
    rejects = list(csv.reader(io.StringIO((tmp / "d.csv.rejects.csv").read_text(encoding="utf-8-sig"))))
    assert rejects[1][:2] == [str(len(rows) + 1), "receipt_no"]
    assert reason_matches(rejects[1][2], "duplicate_key", "en") and "(row 3)" in rejects[1][2]
    # the first occurrence stands
    amount = rows_of(
        tmp / "working.db", f"SELECT amount_fen FROM donation WHERE receipt_no = '{rows[1]['receipt_no']}'"
    )
    assert amount == [(round(float(rows[1]["amount"]) * 100),)]


# personal data a clerk typed into the wrong column, as clerks type it: with spaces, hyphens, +86
MISPLACED = {
    "amount": "张三丰",  # a name where the amount goes
    "donated_on": "李四 13812345678",
    "channel": "6222 0202 0000 1234 567",  # a bank account
    "donor_type": "+86 138-1234-5678",  # a phone
    "programme": "32068219900101123X",  # an ID number
}


def test_personal_data_in_the_wrong_column_is_masked_in_rejects(env):
    """Whatever the column, the rejects file never shows an ID-, phone- or account-shaped
    number, however spaced, nor the words typed into a number or date column; each row keeps
    its number and reason."""
    engine, tmp, _register, _other = env
    rows = valid_rows("donations", env)
    for i, (column, value) in enumerate(MISPLACED.items()):
        rows[i][column] = value
    path = write_dicts(tmp / "donations.csv", rows)
    load_file("donations", path, engine=engine, key=KEY, lang="en")
    text = (tmp / "donations.csv.rejects.csv").read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))[1:]
    assert [line[0] for line in lines] == [str(i + 2) for i in range(len(MISPLACED))]  # every row, its number
    assert all(line[2] for line in lines)  # and its reason
    digits = re.sub(r"\D", "", text)
    for secret in ("张三丰", "李四", "13812345678", "6222020200001234567", "32068219900101123"):
        assert secret not in text and (not secret.isdigit() or secret not in digits), secret


def _repack(path, part: str, xml: bytes) -> None:
    """Put ``xml`` in place of one part of an XLSX (the rest as openpyxl wrote it)."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members[part] = xml
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name, data in members.items():
            target.writestr(name, data)


def _sheet(rows_xml: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>' + rows_xml + b"</sheetData></worksheet>"
    )


def _peak_rss_mb(code: str) -> tuple[float, str]:
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["rss_mb"], result["outcome"]


BOMB_LOAD = """
import json, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from loaders import UnusableFile, load_file
from tests.loader_fixtures import KEY, registered_store
Path({tmp!r}).mkdir(parents=True, exist_ok=True)
engine, tmp, *_ = registered_store(Path({tmp!r}), 4)
try:
    load_file("donations", Path({path!r}), engine=engine, key=KEY, lang="en")
    outcome = "loaded"
except UnusableFile as exc:
    outcome = str(exc)
# this process's own peak (ru_maxrss would carry the parent's over the exec)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({{"rss_mb": peak / 1024, "outcome": outcome}}))
"""


@pytest.mark.parametrize(
    "bomb", ["one huge cell", "millions of empty rows", "more rows than Excel has", "a cell longer than Excel allows"]
)
def test_xlsx_bombs_are_refused_before_they_are_unpacked(env, tmp_path, bomb):
    """A small workbook that unpacks to a 300 MB cell, or to more rows than Excel allows, is
    refused as unusable before openpyxl reads it, in little memory and time, with nothing
    written and no rejects file."""
    import time

    import openpyxl

    from tests.conftest import ROOT

    rows = valid_rows("donations", env)
    book = openpyxl.Workbook()
    book.active.append(list(rows[0]))
    book.active.append(list(rows[0].values()))
    path = tmp_path / "bomb.xlsx"
    book.save(path)
    if bomb == "one huge cell":
        cell = b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + b"x" * 300_000_000 + b"</t></is></c></row>"
    elif bomb == "a cell longer than Excel allows":  # random letters: packed as ordinary text is
        letters = random.Random(7).choices("abcdefghijklmnopqrstuvwxyz", k=40_000)
        cell = b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + "".join(letters).encode() + b"</t></is></c></row>"
    elif bomb == "millions of empty rows":
        cell = b"<row/>" * 3_000_000
    else:  # numbered, so they pack as ordinary XML does: stopped by the row limit instead
        cell = b"".join(b'<row r="%d"/>' % n for n in range(2, 1_100_000))
    header = (
        b'<row r="1">'
        + b"".join(
            b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (chr(65 + i).encode(), name.encode())
            for i, name in enumerate(rows[0])
        )
        + b"</row>"
    )
    _repack(path, "xl/worksheets/sheet1.xml", _sheet(header + cell))
    assert path.stat().st_size < 3_000_000  # small on disk
    started = time.perf_counter()
    rss, outcome = _peak_rss_mb(BOMB_LOAD.format(root=str(ROOT), tmp=str(tmp_path / "store"), path=str(path)))
    seconds = time.perf_counter() - started
    print(f"{bomb}: {path.stat().st_size:,} bytes refused in {seconds:.1f} s, peak {rss:.0f} MB ({outcome})")
    assert outcome != "loaded" and "bomb.xlsx" in outcome, outcome
    assert rss < 400 and seconds < 60, (rss, seconds)
    assert not (tmp_path / "bomb.xlsx.rejects.csv").exists()


def test_long_values_are_cut_in_the_rejects_file(env):
    """A rejected cell of 100,000 characters keeps its row and reason; the file shows its start."""
    engine, tmp, _register, _other = env
    rows = valid_rows("donations", env)
    rows[BAD]["channel"] = "银行" * 50_000
    load_file("donations", write_dicts(tmp / "donations.csv", rows), engine=engine, key=KEY, lang="en")
    text = (tmp / "donations.csv.rejects.csv").read_text(encoding="utf-8-sig")
    line = list(csv.reader(io.StringIO(text)))[1]
    assert line[0] == str(BAD + 2) and line[2]
    assert len(line[3]) <= 201 and line[3].endswith("…")
