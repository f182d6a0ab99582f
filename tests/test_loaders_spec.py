"""raw-formats.md to the letter (issue 13, item 8).

- Every column the spec marks "required" is required: a file without it fails naming it, and a
  row that leaves it empty is rejected with its row number, column and reason (zh / en).
- A donation's amount sign follows its kind: a donation is > 0, a refund < 0 (zero is neither);
  a disbursement is > 0.
- A file whose every row is rejected is a failed load: nothing is written (no batch either), the
  rejects file is still written, and the message counts the main reasons, most frequent first,
  without personal data; ``portal load`` exits 1 with or without ``--strict``.

Every CSV is built here from code; expectations are computed from the rows fed in."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections import Counter

import pytest
from sqlalchemy import text

from loaders import SPECS, AllRowsRejected, UnusableFile, load_file
from portal.i18n import t
from tests.loader_fixtures import (
    KEY,
    PROGRAMMES,
    REGIONS,
    children_rows,
    make_id,
    registered_store,
    rows_of,
    snapshot,
    write_dicts,
)
from tests.test_cli import portal
from tests.test_loaders_rejects import BAD, TABLE, reason_matches, valid_rows

# The "required" column of raw-formats.md, as written there (programmes and regions list their
# columns without one; their keys and Chinese names are what every row needs). Columns the spec
# allows in place of each other (hours or check-in/out, ID number or phone) are checked per row
# below, not as single required columns.
SPEC_REQUIRED = {
    "donations": ("receipt_no", "donated_on", "amount", "channel", "donor_type", "programme"),
    "children": ("id_no", "name", "county", "category", "enrolled_on", "programme"),
    "disbursements": ("payment_no", "paid_on", "id_no", "stage", "amount", "programme"),
    "volunteer_hours": ("record_no", "volunteer_name", "county", "served_on", "programme"),
    "programmes": ("code", "name_zh", "started_on"),
    "regions": ("code", "name_zh"),
    "stage_standards": ("programme", "stage", "yearly_amount"),
}
# a required cell left empty: the reason, and how to empty it when it is not one cell
EITHER_OR = {
    ("volunteer_hours", "hours"): ("hours_missing", ("hours", "start_time", "end_time")),
    ("volunteer_hours", "volunteer_id_no"): ("volunteer_ident_missing", ("volunteer_id_no", "volunteer_phone")),
}
EMPTY_CASES = [(kind, column, "required_missing", (column,)) for kind, cols in SPEC_REQUIRED.items() for column in cols]
EMPTY_CASES += [(kind, column, reason, cells) for (kind, column), (reason, cells) in EITHER_OR.items()]
EMPTIES = ["", "   ", "-"]  # what clerks leave in a cell they did not fill
PERSONAL = re.compile(r"\d{9,}")  # an ID number or a phone, even partly


@pytest.fixture
def env(tmp_path):
    return registered_store(tmp_path, 6)


def read_rejects(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


# ------------------------------------------------------------------ 1. required fields
@pytest.mark.parametrize("kind", list(SPEC_REQUIRED))
def test_required_columns_match_the_spec(kind):
    required = {c.name for c in SPECS[kind].columns if c.required}
    assert set(SPEC_REQUIRED[kind]) <= required, f"{kind}: spec-required columns not required"
    # and nothing the spec leaves optional is demanded of the clerk
    assert required <= set(SPEC_REQUIRED[kind]), f"{kind}: required beyond the spec"


@pytest.mark.parametrize(("kind", "column"), [(k, c) for k, cols in SPEC_REQUIRED.items() for c in cols])
def test_file_without_a_required_column_fails_naming_it(env, kind, column):
    engine, tmp, *_ = env
    rows = [{k: v for k, v in r.items() if k != column} for r in valid_rows(kind, env)]
    before = snapshot(tmp / "working.db")
    with pytest.raises(UnusableFile) as exc:
        load_file(kind, write_dicts(tmp / f"{kind}.csv", rows), engine=engine, key=KEY, lang="en")
    assert f'"{column}"' in str(exc.value)
    assert snapshot(tmp / "working.db") == before


@pytest.mark.parametrize("empty", EMPTIES, ids=["blank", "spaces", "dash"])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("kind", "column", "reason", "cells"), EMPTY_CASES, ids=[f"{c[0]}-{c[1]}" for c in EMPTY_CASES]
)
def test_required_field_left_empty_is_rejected(env, kind, column, reason, cells, lang, empty):
    engine, tmp, *_ = env
    rows = valid_rows(kind, env)
    for cell in cells:
        rows[BAD][cell] = empty
    path = write_dicts(tmp / f"{kind}.csv", rows)
    result = load_file(kind, path, engine=engine, key=KEY, lang=lang)
    assert (result.rows, result.loaded, result.rejected) == (len(rows), len(rows) - 1, 1)
    (row_no, col, why, _value), *more = read_rejects(tmp / f"{kind}.csv.rejects.csv")[1:]
    assert not more
    assert (row_no, col) == (str(BAD + 2), column)
    assert reason_matches(why, reason, lang), why
    table, key = TABLE[kind]
    stored = rows_of(tmp / "working.db", f"SELECT COUNT(*) FROM {table} WHERE batch_id = {result.batch_id}")
    assert stored == [(len(rows) - 1,)]
    if key:
        keys = {k for (k,) in rows_of(tmp / "working.db", f"SELECT {key} FROM {table}")}
        assert {r[key] for i, r in enumerate(rows) if i != BAD} <= keys


def test_empty_name_is_rejected_in_an_xlsx_too(env):
    """An XLSX leaves an empty cell as nothing at all (None), not as an empty string."""
    from openpyxl import Workbook

    engine, tmp, *_ = env
    rows = valid_rows("children", env)
    rows[BAD]["name"] = None
    book = Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for r in rows:
        sheet.append([r[h] for h in rows[0]])
    path = tmp / "c.xlsx"
    book.save(path)
    result = load_file("children", path, engine=engine, key=KEY, lang="en")
    assert (result.loaded, result.rejected) == (len(rows) - 1, 1)
    assert read_rejects(tmp / "c.xlsx.rejects.csv")[1][:2] == [str(BAD + 2), "name"]


# ------------------------------------------------------------------ 2. amount signs
KIND_LABELS = {"donation": ["", "donation", "捐赠", "Donation"], "refund": ["refund", "退款", "Refund"]}
SIGNS = {"positive": "25.50", "negative": "-25.50", "zero": "0", "negative zero": "-0.00", "brackets": "(25.50)"}


def sign_of(amount: str) -> int:
    value = float(amount.replace("(", "-").replace(")", ""))
    return (value > 0) - (value < 0)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("amount", list(SIGNS.values()), ids=list(SIGNS))
@pytest.mark.parametrize("kind_label", [k for labels in KIND_LABELS.values() for k in labels])
def test_donation_amount_sign_follows_its_kind(env, kind_label, amount, lang):
    engine, tmp, *_ = env
    refund = kind_label in KIND_LABELS["refund"]
    rows = valid_rows("donations", env)
    rows[BAD].update(kind=kind_label, amount=amount)
    result = load_file("donations", write_dicts(tmp / "d.csv", rows), engine=engine, key=KEY, lang=lang)
    sign = sign_of(amount)
    ok = sign == (-1 if refund else 1)
    assert (result.loaded, result.rejected) == (len(rows) - (not ok), int(not ok))
    stored = rows_of(
        tmp / "working.db", f"SELECT amount_fen, is_refund FROM donation WHERE receipt_no = '{rows[BAD]['receipt_no']}'"
    )
    if ok:
        fen = round(float(amount.replace("(", "-").replace(")", "")) * 100)
        assert stored == [(fen, int(refund))], "stored exactly as written, the sign included"
        return
    assert stored == []
    (row_no, col, why, value), *more = read_rejects(tmp / "d.csv.rejects.csv")[1:]
    assert not more and (row_no, col) == (str(BAD + 2), "amount") and value.endswith(amount)  # "'-5": inert in Excel
    expected = "refund_not_negative" if refund else ("negative_not_refund" if sign < 0 else "amount_not_positive")
    assert reason_matches(why, expected, lang), why


@pytest.mark.parametrize("amount", ["0", "-0.00", "-100", "(100.00)", "-0.01"])
def test_disbursement_amount_must_be_positive(env, amount):
    engine, tmp, *_ = env
    rows = valid_rows("disbursements", env)
    rows[BAD]["amount"] = amount
    result = load_file("disbursements", write_dicts(tmp / "p.csv", rows), engine=engine, key=KEY, lang="en")
    assert (result.loaded, result.rejected) == (len(rows) - 1, 1)
    (row_no, col, why, _value), *_ = read_rejects(tmp / "p.csv.rejects.csv")[1:]
    assert (row_no, col) == (str(BAD + 2), "amount") and reason_matches(why, "amount_not_positive", "en")


# ------------------------------------------------------------------ 3. every row rejected
def all_rejected(env, kind: str, rows: list[dict], name: str, *, lang: str, strict: bool = False) -> AllRowsRejected:
    """Loads ``rows`` expecting every one rejected; asserts the store is as it was and the
    rejects file lists every row. Returns the exception."""
    engine, tmp, *_ = env
    db = tmp / "working.db"
    path = write_dicts(tmp / name, rows)
    before = snapshot(db)
    with pytest.raises(AllRowsRejected) as exc:
        load_file(kind, path, engine=engine, key=KEY, lang=lang, strict=strict)
    assert snapshot(db) == before, "nothing of a failed load is written, not even its batch"
    result = exc.value.result
    assert (result.rows, result.loaded, result.rejected) == (len(rows), 0, len(rows))
    assert result.batch_id is None
    rejects = read_rejects(tmp / f"{name}.rejects.csv")[1:]
    assert [int(r[0]) for r in rejects] == list(range(2, len(rows) + 2))
    assert result.rejects_file == str(tmp / f"{name}.rejects.csv")
    assert not (tmp / f"{name}.rejects.csv.part").exists()
    msg = str(exc.value)
    assert "\n" not in msg and name in msg
    return exc.value


def no_personal_data(msg: str, rows: list[dict]) -> None:
    assert not PERSONAL.search(msg), msg
    for r in rows:
        for column in ("name", "donor_name", "volunteer_name", "id_no", "donor_phone", "volunteer_phone"):
            value = r.get(column)
            if value:
                assert value not in msg, column


def unknown_children(env, n: int) -> list[dict]:
    rows = valid_rows("disbursements", env)[:n]
    rng = random.Random(n)
    for r in rows:
        r["id_no"] = make_id(rng)
    return rows


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_every_disbursement_names_an_unknown_child(env, lang, strict):
    rows = unknown_children(env, 5)
    exc = all_rejected(env, "disbursements", rows, "dis.csv", lang=lang, strict=strict)
    msg = str(exc)
    reason = t("loader.child_not_registered", lang)
    expected = t("loader.rejected_reason_count", lang, count=len(rows), column="id_no", reason=reason)
    assert expected in msg, msg
    assert t("loader.children_register_first", lang, kind="disbursements") in msg
    if lang == "en":
        assert "disbursements need the children register loaded first" in msg
    no_personal_data(msg, rows)


def test_the_same_file_loads_once_the_register_is(env):
    """A failed load leaves no batch behind, so the file is read again (not 'unchanged')."""
    engine, tmp, *_ = env
    rows = unknown_children(env, 4)
    all_rejected(env, "disbursements", rows, "dis.csv", lang="en")
    register = children_rows(random.Random(3), len(rows))
    for child, r in zip(register, rows, strict=True):
        child["id_no"] = r["id_no"]
    load_file("children", write_dicts(tmp / "late.csv", register), engine=engine, key=KEY)
    result = load_file("disbursements", tmp / "dis.csv", engine=engine, key=KEY)
    assert (result.loaded, result.rejected, result.unchanged) == (len(rows), 0, False)
    assert not (tmp / "dis.csv.rejects.csv").exists()


# (column, bad value, reason): reasons whose message takes no parameters
FAULTS = [
    ("programme", "NO-SUCH", "unknown_programme"),
    ("donated_on", "2023-02-30", "bad_date"),
    ("donor_type", "", "required_missing"),
    ("amount", "十元", "bad_amount"),
    ("receipt_no", "", "required_missing"),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("groups", [(3, 5, 2, 1, 4), (1, 1, 2), (6,)], ids=["five-reasons", "tie", "one-reason"])
def test_reasons_are_counted_most_frequent_first(env, lang, groups):
    faults = FAULTS[: len(groups)]
    template = valid_rows("donations", env)[0]
    rows, truth = [], Counter()
    for (column, bad, reason), count in zip(faults, groups, strict=True):
        for _ in range(count):
            row = dict(template, receipt_no=f"X{len(rows)}")
            row[column] = bad
            rows.append(row)
            truth[(column, reason)] += 1
    random.Random(len(rows)).shuffle(rows)  # the order of the file is not the order of the message
    first_seen = {}
    for r in rows:
        for column, bad, reason in faults:
            if r[column] == bad:
                first_seen.setdefault((column, reason), len(first_seen))
    msg = str(all_rejected(env, "donations", rows, "d.csv", lang=lang))
    ranked = sorted(truth, key=lambda k: (-truth[k], first_seen[k]))
    shown, rest = ranked[:3], ranked[3:]
    at = [
        msg.index(
            t("loader.rejected_reason_count", lang, count=truth[k], column=k[0], reason=t(f"loader.{k[1]}", lang)),
        )
        for k in shown
    ]
    assert at == sorted(at), msg
    more = t("loader.rejected_reasons_more", lang, count=sum(truth[k] for k in rest))
    assert (more in msg) == bool(rest), msg
    assert t("loader.children_register_first", lang, kind="donations") not in msg
    no_personal_data(msg, rows)


def test_header_only_is_still_an_empty_file_not_a_failed_load(env):
    engine, tmp, *_ = env
    path = tmp / "d.csv"
    path.write_text(",".join(valid_rows("donations", env)[0]) + "\n", encoding="utf-8")
    before = snapshot(tmp / "working.db")
    with pytest.raises(UnusableFile) as exc:
        load_file("donations", path, engine=engine, key=KEY, lang="en")
    assert not isinstance(exc.value, AllRowsRejected)
    assert str(exc.value) == t("loader.no_data_rows", "en", file="d.csv")
    assert snapshot(tmp / "working.db") == before and not (tmp / "d.csv.rejects.csv").exists()


def test_one_good_row_is_not_a_failed_load(env):
    engine, tmp, *_ = env
    rows = unknown_children(env, 5)
    rows[-1]["id_no"] = env[2][0]["id_no"]  # on the register
    result = load_file("disbursements", write_dicts(tmp / "dis.csv", rows), engine=engine, key=KEY)
    assert (result.loaded, result.rejected) == (1, len(rows) - 1) and result.batch_id is not None


# ------------------------------------------------------------------ the command line
def test_cli_every_row_rejected_exits_1_and_changes_nothing(deployment, tmp_path):
    for kind, rows in (("programmes", PROGRAMMES), ("regions", REGIONS)):
        done = portal(deployment, "load", kind, str(write_dicts(tmp_path / f"{kind}.csv", rows)))
        assert done.returncode == 0, done.stderr
    rng = random.Random(13)
    rows = [
        {
            "发放编号": f"P{i}",
            "发放日期": "2023-09-01",
            "身份证号": make_id(rng),
            "姓名": f"儿童{i}",
            "学段": "小学",
            "发放金额": "1200",
            "项目": "NT-CARE",
        }
        for i in range(7)
    ]
    path = write_dicts(tmp_path / "发放.csv", rows)
    rejects = tmp_path / "发放.csv.rejects.csv"

    def state():
        with deployment.working.connect() as con:
            return [
                con.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
                for t in ("disbursement", "batch", "person", "meta")
            ]

    before = state()
    for lang in ("zh", "en"):
        rejects.unlink(missing_ok=True)
        done = portal(deployment, "--lang", lang, "load", "disbursements", str(path))
        assert done.returncode == 1, done.stdout + done.stderr
        assert state() == before
        assert len(read_rejects(rejects)) == len(rows) + 1
        reason = t("loader.child_not_registered", lang)
        assert t("loader.rejected_reason_count", lang, count=len(rows), column="身份证号", reason=reason) in done.stderr
        assert t("loader.children_register_first", lang, kind="disbursements") in done.stderr
        assert str(rejects) in done.stderr
        assert "Traceback" not in done.stderr
        no_personal_data(done.stdout + done.stderr, [{"id_no": r["身份证号"], "name": r["姓名"]} for r in rows])
    assert "每一行都被拒绝" in portal(deployment, "--lang", "zh", "load", "disbursements", str(path)).stderr
    strict = portal(deployment, "--lang", "en", "load", "disbursements", str(path), "--strict")
    assert strict.returncode == 1 and "children register" in strict.stderr
    as_json = portal(deployment, "load", "disbursements", str(path), "--format", "json")
    assert as_json.returncode == 1
    summary = json.loads(as_json.stdout)
    assert (summary["rows"], summary["loaded"], summary["rejected"]) == (len(rows), 0, len(rows))
    assert state() == before
