"""Loader pipeline: every kind from plain CSV, pseudonyms, batches, upserts, rejects, keys."""

from __future__ import annotations

import csv
import io
import random

import pytest

import loaders
from loaders import KeyMismatch, LoadResult, StrictRejected, UnusableFile, load_file
from tests.loader_fixtures import (
    KEY,
    OTHER_KEY,
    children_rows,
    donation_rows,
    load_reference,
    make_id,
    new_store,
    rows_of,
    snapshot,
    write_dicts,
)


@pytest.fixture
def store(tmp_path):
    engine = new_store(tmp_path)
    load_reference(engine, tmp_path)
    return engine, tmp_path, tmp_path / "working.db"


def test_kinds_interface():
    assert loaders.KINDS == (
        "programmes",
        "regions",
        "stage_standards",
        "children",
        "donations",
        "disbursements",
        "volunteer_hours",
    )
    r = LoadResult("donations", "f.csv", 3, 2, 1, "f.csv.rejects.csv")
    assert set(r.as_json()) == {"kind", "file", "rows", "loaded", "rejected", "rejects_file"}
    assert issubclass(KeyMismatch, UnusableFile)


def test_all_kinds_plain_csv(store):
    engine, tmp, db = store
    rng = random.Random(1)
    kids = children_rows(rng, 12)
    r = load_file("children", write_dicts(tmp / "children.csv", kids), engine=engine, key=KEY)
    assert (r.rows, r.loaded, r.rejected, r.rejects_file) == (len(kids), len(kids), 0, None)
    dons = donation_rows(rng, 40)
    r = load_file("donations", write_dicts(tmp / "donations.csv", dons), engine=engine, key=KEY)
    assert r.loaded == len(dons)
    total = sum(round(float(d["amount"]) * 100) for d in dons)
    assert rows_of(db, "SELECT SUM(amount_fen) FROM donation")[0][0] == total
    ss = [
        {"programme": "NT-CARE", "stage": "小学", "yearly_amount": "2,400"},
        {"programme": "南通关爱", "stage": "Junior secondary", "yearly_amount": "¥3000.50"},
    ]
    r = load_file("stage_standards", write_dicts(tmp / "ss.csv", ss), engine=engine, key=KEY)
    assert r.loaded == 2
    assert sorted(rows_of(db, "SELECT stage, yearly_fen FROM stage_standard")) == [
        ("junior_secondary", 300050),
        ("primary", 240000),
    ]
    dis = [
        {
            "payment_no": f"P{i}",
            "paid_on": "2023-09-01",
            "id_no": k["id_no"],
            "stage": "小学",
            "amount": "1200",
            "programme": "NT-CARE",
        }
        for i, k in enumerate(kids)
    ]
    r = load_file("disbursements", write_dicts(tmp / "dis.csv", dis), engine=engine, key=KEY)
    assert r.loaded == len(kids)
    # county defaults to the child's county, purpose to study_living
    joined = rows_of(
        db, "SELECT d.county = c.county, d.purpose FROM disbursement d JOIN child c ON c.person_id = d.child_id"
    )
    assert joined == [(1, "study_living")] * len(kids)
    vol = [
        {
            "record_no": f"V{i}",
            "volunteer_name": "志愿者",
            "volunteer_phone": f"1370000{i % 3:04d}",
            "county": "海门区",
            "served_on": "2023-05-01",
            "hours": "1.5",
            "programme": "NT-CARE",
        }
        for i in range(9)
    ]
    r = load_file("volunteer_hours", write_dicts(tmp / "vol.csv", vol), engine=engine, key=KEY)
    assert r.loaded == 9
    assert rows_of(db, "SELECT COUNT(DISTINCT volunteer_id), SUM(seconds) FROM service_record") == [(3, 9 * 5400)]
    kinds = [k for (k,) in rows_of(db, "SELECT kind FROM batch ORDER BY id")]
    assert kinds == [
        "programmes",
        "regions",
        "children",
        "donations",
        "stage_standards",
        "disbursements",
        "volunteer_hours",
    ]


def test_pseudonym_is_person_surrogate(store):
    engine, tmp, db = store
    rng = random.Random(2)
    kids = children_rows(rng, 5)
    load_file("children", write_dicts(tmp / "c.csv", kids), engine=engine, key=KEY)
    persons = rows_of(db, "SELECT id, pseudonym FROM person")
    assert len(persons) == len(kids)
    from portal.pseudonym import Pseudonymiser

    expected = {Pseudonymiser(KEY)(k["id_no"]) for k in kids}
    assert {p for _, p in persons} == expected
    assert {pid for (pid,) in rows_of(db, "SELECT person_id FROM child")} == {i for i, _ in persons}


def test_reload_is_noop_and_correction_updates(store):
    engine, tmp, db = store
    rng = random.Random(3)
    dons = donation_rows(rng, 30)
    path = write_dicts(tmp / "d.csv", dons)
    load_file("donations", path, engine=engine, key=KEY)
    before = snapshot(db)
    again = load_file("donations", path, engine=engine, key=KEY)
    assert again.unchanged
    assert snapshot(db) == before
    # a corrected file: one amount changed, the rest identical -> one row updated, no doubles
    dons[4]["amount"] = "7.77"
    fixed = load_file("donations", write_dicts(tmp / "d2.csv", dons), engine=engine, key=KEY)
    assert fixed.loaded == len(dons) and not fixed.unchanged
    assert rows_of(db, "SELECT COUNT(*) FROM donation")[0][0] == len(dons)
    assert rows_of(db, f"SELECT amount_fen, batch_id FROM donation WHERE receipt_no='{dons[4]['receipt_no']}'")[0] == (
        777,
        fixed.batch_id,
    )
    untouched = rows_of(db, f"SELECT COUNT(*) FROM donation WHERE batch_id = {fixed.batch_id}")[0][0]
    assert untouched == 1


def test_key_mismatch_refused(store):
    engine, tmp, db = store
    before = snapshot(db)
    path = write_dicts(tmp / "d.csv", donation_rows(random.Random(4), 3))
    with pytest.raises(KeyMismatch) as exc:
        load_file("donations", path, engine=engine, key=OTHER_KEY)
    assert "d.csv" in str(exc.value) and "\n" not in str(exc.value)
    assert snapshot(db) == before


def test_no_key_refused(store):
    engine, tmp, _db = store
    path = write_dicts(tmp / "d.csv", donation_rows(random.Random(4), 3))
    with pytest.raises(UnusableFile):
        load_file("donations", path, engine=engine, key=b"")


def test_rejects_and_strict(store):
    engine, tmp, db = store
    rng = random.Random(5)
    dons = donation_rows(rng, 10)
    dons[3]["amount"] = "abc"
    dons[7]["donated_on"] = "2023-02-30"
    path = write_dicts(tmp / "d.csv", dons)
    before = snapshot(db)
    with pytest.raises(StrictRejected) as exc:
        load_file("donations", path, engine=engine, key=KEY, strict=True)
    assert exc.value.result.rejected == 2 and exc.value.result.loaded == 0
    assert snapshot(db) == before
    r = load_file("donations", path, engine=engine, key=KEY, lang="en")
    assert (r.rows, r.loaded, r.rejected) == (10, 8, 2)
    text = (tmp / "d.csv.rejects.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert [r[:2] for r in rows[1:]] == [["5", "amount"], ["9", "donated_on"]]
    assert rows[1][2].startswith("not an amount") and rows[1][3] == "***"  # words in an amount column are starred
    assert rows[2][2].startswith("not a date")


def test_guess_kind(tmp_path):
    tmp = tmp_path
    rng = random.Random(6)
    assert loaders.guess_kind(write_dicts(tmp / "d.csv", donation_rows(rng, 2))) == "donations"
    assert loaders.guess_kind(write_dicts(tmp / "c.csv", children_rows(rng, 2))) == "children"
    assert loaders.guess_kind(write_dicts(tmp / "x.csv", [{"foo": 1, "bar": 2}])) is None


def test_sample_flag(store):
    engine, tmp, db = store
    path = write_dicts(tmp / "d.csv", donation_rows(random.Random(7), 2))
    load_file("donations", path, engine=engine, key=KEY, is_sample=True)
    assert rows_of(db, "SELECT value FROM meta WHERE key='data_origin'") == [("sample",)]


def test_make_id_is_valid():
    from loaders.personal import parse_id_no

    rng = random.Random(8)
    for _ in range(50):
        parse_id_no(make_id(rng))
