"""Donations from a fundraising platform's order export (issue #19, loaders/platforms.py).

Every order export here is built by code from seeded records, in every accepted form (CSV in
UTF-8, UTF-8 with BOM and GB18030, XLSX, JSON as an array, under ``data`` and as JSON lines).
Expected figures are computed from those records independently of the loader: dates through
the IANA zone Asia/Shanghai (the loader uses the platform file's fixed offset), sums in Python
over the records, then compared with what publish wrote."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import secrets
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest

import loaders
from loaders import platforms
from loaders.messages import UnusableFile
from portal import publish, queries, receipts
from portal.i18n import t
from portal.vocab import DIMENSIONS
from tests.conftest import load_frames
from tests.loader_fixtures import KEY, PROGRAMMES, REGIONS, new_store, rows_of, snapshot, write_dicts

BEIJING = ZoneInfo("Asia/Shanghai")
TENCENT = platforms.platforms()["tencent"]
PAID = sorted(TENCENT.paid)[0]
FIELDS = {part: names[0] for part, names in TENCENT.fields.items()}
# two projects for the first programme (both separators in the file), one for the second
PROJECTS = {"237449": PROGRAMMES[0]["code"], "237450": PROGRAMMES[0]["code"], "880012": PROGRAMMES[1]["code"]}
YEARS = (2023, 2024)
OFFSETS = (dt.timedelta(0), dt.timedelta(hours=8), dt.timedelta(hours=-5), dt.timedelta(hours=5, minutes=30))
FORMS = ("csv-utf8", "csv-bom", "csv-gb18030", "xlsx", "json-array", "json-data", "jsonl")


def programmes_rows() -> list[dict]:
    by_programme: dict[str, list[str]] = defaultdict(list)
    for pid, code in PROJECTS.items():
        by_programme[code].append(f"tencent:{pid}")
    seps = ("；", ";")
    return [{**p, "平台项目ID": seps[i % 2].join(by_programme[p["code"]])} for i, p in enumerate(PROGRAMMES)]


def reference(engine, tmp: Path) -> None:
    loaders.load_file("programmes", write_dicts(tmp / "programmes.csv", programmes_rows()), engine=engine, key=KEY)
    loaders.load_file("regions", write_dicts(tmp / "regions.csv", REGIONS), engine=engine, key=KEY)


def boundary_instants(rng: random.Random, n: int) -> list[dt.datetime]:
    """UTC instants near Beijing midnight at the start of every month (the UTC date and the
    Beijing date differ for most), around the year end, and anywhere in between."""
    starts = [dt.datetime(y, m, 1, tzinfo=BEIJING) for y in YEARS for m in range(1, 13)]
    starts.append(dt.datetime(YEARS[-1] + 1, 1, 1, tzinfo=BEIJING))
    out = []
    for i in range(n):
        if i % 3:
            edge = rng.choice(starts)
            out.append((edge + dt.timedelta(minutes=rng.randint(-16 * 60, 16 * 60))).astimezone(dt.UTC))
        else:
            day = dt.datetime(YEARS[0], 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(730 * 86400))
            out.append(day)
    return out


def rfc3339(instant: dt.datetime, rng: random.Random) -> str:
    """The instant written in a random offset, sometimes as Z, sometimes with fractions."""
    offset = rng.choice(OFFSETS)
    local = instant.astimezone(dt.timezone(offset))
    text = local.isoformat(timespec=rng.choice(("seconds", "milliseconds")))
    return text.replace("+00:00", "Z") if offset == dt.timedelta(0) and rng.random() < 0.5 else text


def orders(seed: int, n: int, start: int = 0) -> list[dict]:
    """Platform order records; about one in eight not paid. ``proj_name`` names the wrong
    programme on purpose: it must never be used."""
    rng = random.Random(seed)
    instants = boundary_instants(rng, n)
    states = [s for s in ("0", "1", "3", "12", "21") if s not in TENCENT.paid]
    out = []
    for i, instant in enumerate(instants, start):
        pid = rng.choice(list(PROJECTS))
        out.append(
            {
                FIELDS["receipt_no"]: f"{instant:%Y%m%d%H%M%S}{i:010d}",
                FIELDS["project_id"]: pid,
                FIELDS["amount"]: rng.choice((1, 100, 1000, 5000, 20000)) * rng.randint(1, 30) + rng.randint(0, 99),
                FIELDS["paid_time"]: rfc3339(instant, rng),
                FIELDS["state"]: PAID if rng.random() < 0.875 else rng.choice(states),
                "bt": rng.randint(1, 3),
                "bid": rng.randint(1000, 9999),
                "busi_code": f"B{i:08d}",
                "appid": "wx-test",
                "proj_name": "临沂陪诊" if PROJECTS[pid] == PROGRAMMES[0]["code"] else "南通关爱",
                "_instant": instant,
            }
        )
    return out


def public(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def write_export(records: list[dict], folder: Path, form: str, name: str = "orders") -> Path:
    """The records as the platform would give them, in one accepted form."""
    rows = [public(r) for r in records]
    header = list(rows[0])
    if form.startswith("csv"):
        encoding = {"csv-utf8": "utf-8", "csv-bom": "utf-8-sig", "csv-gb18030": "gb18030"}[form]
        path = folder / f"{name}.csv"
        with open(path, "w", encoding=encoding, newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows([[r[h] for h in header] for r in rows])
    elif form == "xlsx":
        path = folder / f"{name}.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(header)
        for r in rows:
            ws.append([r[h] for h in header])
        wb.save(path)
    elif form == "json-array":
        path = folder / f"{name}.json"
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    elif form == "json-data":
        path = folder / f"{name}.json"
        envelope = {"code": 0, "msg": "ok", "data": rows, "total": len(rows)}
        path.write_text(json.dumps(envelope, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        path = folder / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def is_paid(record: dict) -> bool:
    return str(record[FIELDS["state"]]) in TENCENT.paid


def beijing_day(record: dict) -> dt.date:
    return record["_instant"].astimezone(BEIJING).date()


def periods_of(day: dt.date) -> tuple[str, ...]:
    return ("all", f"{day.year}", f"{day.year}-Q{(day.month - 1) // 3 + 1}", f"{day:%Y-%m}")


# --------------------------------------------------------------------------- every form, every figure
def other_donations(seed: int, n: int) -> pd.DataFrame:
    """An ordinary donations file beside the export, so the channel breakdown has parts."""
    rng = random.Random(seed)
    return pd.DataFrame(
        [
            {
                "receipt_no": f"OFF-{seed}-{i:05d}",
                "donated_on": (dt.date(YEARS[0], 1, 1) + dt.timedelta(days=rng.randrange(730))).isoformat(),
                "amount": f"{rng.randint(100, 900_000) / 100:.2f}",
                "channel": rng.choice(["慈善一日捐", "银行转账", "现金"]),
                "donor_type": "企业",
                "donor_name": "",
                "donor_phone": "",
                "programme": rng.choice([p["code"] for p in PROGRAMMES]),
            }
            for i in range(n)
        ]
    )


def expected_cells(records: list[dict], offline: pd.DataFrame) -> dict[tuple, list[int]]:
    """(programme, period, channel or None) -> [fen, donations], over both sources."""
    channel_code = {"慈善一日捐": "payroll", "银行转账": "bank", "现金": "cash"}
    gifts = [(PROJECTS[r[FIELDS["project_id"]]], beijing_day(r), r[FIELDS["amount"]], "online") for r in records]
    gifts += [
        (
            row.programme,
            dt.date.fromisoformat(row.donated_on),
            round(float(row.amount) * 100),
            channel_code[row.channel],
        )
        for row in offline.itertuples()
    ]
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for programme, day, fen, channel in gifts:
        for who in (programme, "all"):
            for period in periods_of(day):
                for ch in (None, channel):
                    cell = out[(who, period, ch)]
                    cell[0] += fen
                    cell[1] += 1
    return out


@pytest.mark.parametrize("form", FORMS)
def test_every_form_loads_and_every_figure_matches_the_records(deployment, tmp_path, form):
    records = orders(seed=FORMS.index(form) + 1, n=420)
    paid = [r for r in records if is_paid(r)]
    # the data crosses what the test is about: a Beijing date other than the UTC date, in
    # another month, and a gift of the new year made on 31 December in UTC
    moved = [r for r in paid if beijing_day(r) != r["_instant"].date()]
    assert any(beijing_day(r).month != r["_instant"].month for r in moved)
    assert any(beijing_day(r).year != r["_instant"].year for r in moved)

    raw = tmp_path / "raw"
    raw.mkdir()
    loaders.load_file(
        "programmes", write_dicts(raw / "p.csv", programmes_rows()), engine=deployment.working, key=deployment.key
    )
    offline = other_donations(FORMS.index(form), 160)
    load_frames(deployment, {"regions": pd.DataFrame(REGIONS), "donations": offline}, raw)
    path = write_export(records, raw, form)
    result = loaders.load_file("donations", path, engine=deployment.working, key=deployment.key, lang="en")
    assert (result.platform, result.loaded, result.rejected) == (TENCENT.name, len(paid), 0)
    assert result.not_paid == len(records) - len(paid) > 0
    assert result.rows == len(paid)

    with deployment.working.connect() as connection:
        stored = {
            r[0]: r[1:]
            for r in connection.exec_driver_sql(
                "SELECT receipt_no, programme, donated_on, amount_fen, channel, platform, donor_type, donor_id "
                "FROM donation WHERE platform IS NOT NULL"
            )
        }
    assert len(stored) == len(paid)
    for r in paid:
        programme, day, fen, channel, platform, donor_type, donor = stored[r[FIELDS["receipt_no"]]]
        assert (programme, str(day), fen) == (PROJECTS[r[FIELDS["project_id"]]], beijing_day(r).isoformat(), r["money"])
        assert (channel, platform, donor_type, donor) == ("online", TENCENT.name, "individual", None)

    release = publish.publish(working=deployment.working, published=deployment.published, k=5)
    cells = queries.cells(engine=deployment.published, release_id=release.release_id)
    expected = expected_cells(paid, offline)
    others = [d for d in DIMENSIONS if d != "channel"]
    checked = Counter()
    for figure, index, scale in (("funds_raised", 0, 100), ("donations", 1, 1)):
        got = cells[(cells["figure"] == figure) & cells[others].isna().all(axis=1)]
        got = got.set_index(["programme", "period", got["channel"].where(got["channel"].notna(), None)])
        for (programme, period, channel), values in expected.items():
            cell = got.loc[(programme, period, channel)]
            if channel is None:  # a headline: always published, exactly
                assert cell["status"] == "published", (figure, programme, period)
            if cell["status"] == "published":
                assert round(cell["value"] * scale) == values[index], (figure, programme, period, channel)
                checked[(figure, channel is None)] += 1
            else:
                assert pd.isna(cell["value"])
    assert min(checked.values()) > 0 and len(checked) == 4, checked


# --------------------------------------------------------------------------- rejects and unpaid orders
BAD = {
    "money_missing": ("amount", "", "required_missing"),
    "money_words": ("amount", "ten yuan", "amount_not_whole_fen"),
    "money_fraction": ("amount", "1250.5", "amount_not_whole_fen"),
    "money_zero": ("amount", "0", "amount_not_positive"),
    "money_negative": ("amount", "-300", "amount_not_positive"),
    "time_words": ("paid_time", "yesterday 5pm", "bad_platform_time"),
    "time_date_only": ("paid_time", "2023-11-30", "bad_platform_time"),
    "time_impossible": ("paid_time", "2023-02-30T10:00:00+08:00", "bad_platform_time"),
    "time_future": ("paid_time", (dt.datetime.now(BEIJING) + dt.timedelta(days=3)).isoformat(), "future_date"),
    "unknown_pid": ("project_id", "999999", "unknown_platform_project"),
    "pid_missing": ("project_id", "", "required_missing"),
    "order_no_missing": ("receipt_no", "", "required_missing"),
    "state_missing": ("state", "", "required_missing"),
}


def spoiled(seed: int, n: int) -> tuple[list[dict], dict[int, str]]:
    """Good orders with one of each bad kind among them, and the same faults on unpaid orders
    (which are not donations, so not rejects). Returns the records and {position: case}."""
    records = [r for r in orders(seed, n) if is_paid(r)]
    rng = random.Random(seed)
    cases: dict[int, str] = {}
    for case, (part, value, _reason) in BAD.items():
        at = rng.choice([i for i in range(len(records)) if i not in cases])
        records[at][FIELDS[part]] = value
        cases[at] = case
    unpaid = []
    for i, (part, value, _reason) in enumerate(BAD.values()):
        if part == "state":
            continue
        r = dict(orders(seed + 1000 + i, 1, start=10_000 + i)[0])
        r[FIELDS["state"]] = "3"
        r[FIELDS[part]] = value
        unpaid.append(r)
    return records + unpaid, cases


def read_list(path: str) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize(
    ("form", "lang"), [("csv-gb18030", "zh"), ("xlsx", "en"), ("jsonl", "zh"), ("json-data", "en")]
)
def test_every_reject_reason_with_its_row_and_the_unpaid_count(tmp_path, form, lang):
    engine = new_store(tmp_path)
    reference(engine, tmp_path)
    records, cases = spoiled(11, 160)
    path = write_export(records, tmp_path, form)
    result = loaders.load_file("donations", path, engine=engine, key=KEY, lang=lang)

    unpaid = [i for i, r in enumerate(records) if not is_paid(r) and i not in cases]  # (a missing state is a reject)
    assert result.not_paid == len(unpaid)
    assert result.rejected == len(BAD)
    assert result.loaded == len(records) - len(unpaid) - len(BAD)
    # the row the clerk sees: header = row 1 in CSV and XLSX; the record's index in JSON
    first = 2 if form in ("csv-gb18030", "xlsx") else 0
    header, *rows = read_list(result.rejects_file)
    assert header[0] == t("loader.col_row" if first else "loader.col_record", lang)
    got = {int(row[0]): row for row in rows}
    assert set(got) == {at + first for at in cases}
    labels = {part: TENCENT.fields[part][0] for part in FIELDS}
    for at, case in cases.items():
        part, _value, reason = BAD[case]
        _row, column, text, _shown = got[at + first]
        assert (column, text) == (labels[part], t(f"loader.{reason}", lang)), case
    header, *listed = read_list(result.not_paid_file)
    assert sorted(int(r[0]) for r in listed) == [i + first for i in unpaid]
    assert {r[2] for r in listed} == {t("loader.order_not_paid", lang)}

    stored = {r[0] for r in rows_of(tmp_path / "working.db", "SELECT receipt_no FROM donation")}
    assert not stored & {records[i][FIELDS["receipt_no"]] for i in (*cases, *unpaid)}


def test_an_export_of_only_unpaid_orders_loads_nothing_and_says_so(tmp_path):
    engine = new_store(tmp_path)
    reference(engine, tmp_path)
    records = [r for r in orders(5, 40) if not is_paid(r)]
    before = snapshot(tmp_path / "working.db")
    result = loaders.load_file("donations", write_export(records, tmp_path, "csv-utf8"), engine=engine, key=KEY)
    assert (result.loaded, result.rejected, result.not_paid) == (0, 0, len(records))
    assert snapshot(tmp_path / "working.db") == before


def test_a_pid_two_programmes_claim_is_rejected_and_proj_name_never_guesses(tmp_path):
    engine = new_store(tmp_path)
    reference(engine, tmp_path)
    shared = next(iter(PROJECTS))
    other = [{**PROGRAMMES[1], "code": "OTHER", "平台项目ID": f"tencent:{shared}"}]
    loaders.load_file("programmes", write_dicts(tmp_path / "p2.csv", other), engine=engine, key=KEY)
    records = [r for r in orders(8, 80) if is_paid(r)]
    result = loaders.load_file("donations", write_export(records, tmp_path, "json-array"), engine=engine, key=KEY)
    claimed = [r for r in records if r[FIELDS["project_id"]] == shared]
    assert claimed and result.rejected == len(claimed)
    assert {row[2] for row in read_list(result.rejects_file)[1:]} == {t("loader.ambiguous_platform_project", "zh")}
    # every loaded gift is where its pid says, though each proj_name names the other programme
    loaded = dict(rows_of(tmp_path / "working.db", "SELECT receipt_no, programme FROM donation"))
    assert loaded == {r[FIELDS["receipt_no"]]: PROJECTS[r[FIELDS["project_id"]]] for r in records if r not in claimed}


# --------------------------------------------------------------------------- programmes' platform ids
def test_programmes_platform_project_ids(tmp_path):
    engine = new_store(tmp_path)
    rows = [
        {**PROGRAMMES[0], "平台项目ID": "tencent：237449； TENCENT:237450;"},
        {**PROGRAMMES[1], "平台项目ID": ""},
        {**PROGRAMMES[1], "code": "BAD-1", "平台项目ID": "237449"},
        {**PROGRAMMES[1], "code": "BAD-2", "平台项目ID": "alipay:1"},
        {**PROGRAMMES[1], "code": "BAD-3", "平台项目ID": "tencent:237450"},
    ]
    result = loaders.load_file("programmes", write_dicts(tmp_path / "p.csv", rows), engine=engine, key=KEY, lang="en")
    stored = dict(rows_of(tmp_path / "working.db", "SELECT code, platform_project_ids FROM programme"))
    assert stored == {PROGRAMMES[0]["code"]: "tencent:237449;tencent:237450", PROGRAMMES[1]["code"]: None}
    reasons = {int(r[0]): r[2] for r in read_list(result.rejects_file)[1:]}
    assert reasons == {
        4: t("loader.bad_platform_project", "en"),
        5: t("loader.unknown_platform", "en", platforms="、".join(platforms.platforms())),
        6: t("loader.platform_project_taken", "en", programme=PROGRAMMES[0]["code"]),
    }


# --------------------------------------------------------------------------- reloading, receipts
def test_overlapping_monthly_exports_change_nothing_twice(tmp_path):
    engine = new_store(tmp_path)
    reference(engine, tmp_path)
    records = orders(21, 300)
    first, second = records[:200], records[120:]
    r1 = loaders.load_file("donations", write_export(first, tmp_path, "csv-utf8", "november"), engine=engine, key=KEY)
    r2 = loaders.load_file("donations", write_export(second, tmp_path, "jsonl", "december"), engine=engine, key=KEY)
    assert r1.batch_id and r2.batch_id
    db = tmp_path / "working.db"
    once = snapshot(db)
    paid = {r[FIELDS["receipt_no"]]: r for r in records if is_paid(r)}
    stored = dict(rows_of(db, "SELECT receipt_no, amount_fen FROM donation"))
    assert stored == {no: r[FIELDS["amount"]] for no, r in paid.items()}
    # the same files again: nothing at all changes, no batch is recorded
    again = [loaders.load_file("donations", r.file, engine=engine, key=KEY) for r in (r1, r2)]
    assert all(r.unchanged for r in again)
    assert snapshot(db) == once
    # the same orders in other forms (other files): no gift changes; only the loads are logged
    for i, (part, form) in enumerate(((first, "xlsx"), (second, "json-data"))):
        loaders.load_file("donations", write_export(part, tmp_path, form, f"again-{i}"), engine=engine, key=KEY)
    now = snapshot(db)
    assert {t: rows for t, rows in now.items() if t != "batch"} == {t: rows for t, rows in once.items() if t != "batch"}
    assert len(now["batch"]) == len(once["batch"]) + 2


def test_a_donor_checks_a_gift_by_the_order_number(deployment, tmp_path):
    loaders.load_file(
        "programmes", write_dicts(tmp_path / "p.csv", programmes_rows()), engine=deployment.working, key=deployment.key
    )
    records = [r for r in orders(31, 60) if is_paid(r)]
    path = write_export(records, tmp_path, "json-array")
    loaders.load_file("donations", path, engine=deployment.working, key=deployment.key)
    key = secrets.token_bytes(32)
    release = publish.publish(working=deployment.working, published=deployment.published, k=5, receipt_key=key)
    for r in random.Random(1).sample(records, 10):
        fen = r[FIELDS["amount"]]
        typed = f"{fen // 100}.{fen % 100:02d}"  # as the platform shows it to the donor, in yuan
        found = receipts.lookup(
            engine=deployment.published,
            key=key,
            receipt_no=r[FIELDS["receipt_no"]],
            amount_fen=receipts.amount_to_fen(typed),
        )
        assert found is not None and found.release_id == release.release_id
        assert (found.programme, found.month) == (PROJECTS[r[FIELDS["project_id"]]], f"{beijing_day(r):%Y-%m}")
        wrong = receipts.lookup(
            engine=deployment.published, key=key, receipt_no=r[FIELDS["receipt_no"]], amount_fen=fen + 1
        )
        assert wrong is None


# --------------------------------------------------------------------------- donors, other platforms, bad JSON
def test_donor_fields_when_the_export_has_them(tmp_path):
    engine = new_store(tmp_path)
    reference(engine, tmp_path)
    records = [r for r in orders(41, 60) if is_paid(r)]
    donor_ids = [f"oUser{n:06d}XyZ" for n in range(7)]
    for i, r in enumerate(records):
        r[FIELDS["donor_id"]] = donor_ids[i % len(donor_ids)] if i % 4 else ""
        r[FIELDS["donor_type"]] = "企业" if i % 5 == 0 else ""
    result = loaders.load_file("donations", write_export(records, tmp_path, "csv-bom"), engine=engine, key=KEY)
    assert result.loaded == len(records)
    db = tmp_path / "working.db"
    rows = dict(rows_of(db, "SELECT receipt_no, donor_id FROM donation"))
    named = {r[FIELDS["donor_id"]] for r in records if r[FIELDS["donor_id"]]}
    assert len({v for v in rows.values() if v is not None}) == len(named)
    assert sum(v is None for v in rows.values()) == sum(not r[FIELDS["donor_id"]] for r in records)
    types = Counter(t for (t,) in rows_of(db, "SELECT donor_type FROM donation"))
    assert types == Counter("company" if r[FIELDS["donor_type"]] else "individual" for r in records)
    dump = json.dumps(snapshot(db), ensure_ascii=False, default=str)
    assert not any(d in dump for d in donor_ids)  # pseudonymised, never stored


def test_a_second_platform_is_a_file_not_code(tmp_path, monkeypatch):
    folder = tmp_path / "platforms"
    folder.mkdir()
    for p in platforms.PLATFORM_DIR.glob("*.toml"):
        (folder / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "otherpay.toml").write_text(
        'name = "支付宝公益"\nchannel = "online"\n'
        '[fields]\nreceipt_no = ["order_id"]\nproject_id = ["project"]\namount = ["amount_yuan"]\n'
        'paid_time = ["paid_at"]\nstate = ["status"]\n'
        '[amount]\nunit = "yuan"\n[time]\ndate_offset = "+08:00"\n[state]\npaid = ["SUCCESS"]\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(platforms, "PLATFORM_DIR", folder)
    platforms.platforms.cache_clear()
    platforms.spec_of.cache_clear()
    try:
        engine = new_store(tmp_path)
        programmes = [{**PROGRAMMES[0], "平台项目ID": "otherpay:P-77"}]
        loaders.load_file("programmes", write_dicts(tmp_path / "p.csv", programmes), engine=engine, key=KEY)
        rows = [
            {"order_id": "ALI0001", "project": "P-77", "amount_yuan": "12.50", "paid_at": "2023-06-30T17:00:00Z",
             "status": "SUCCESS"},
            {"order_id": "ALI0002", "project": "P-77", "amount_yuan": "8", "paid_at": "2023-06-30T15:00:00Z",
             "status": "CLOSED"},
        ]  # fmt: skip
        result = loaders.load_file("donations", write_dicts(tmp_path / "ali.csv", rows), engine=engine, key=KEY)
        assert (result.platform, result.loaded, result.not_paid) == ("支付宝公益", 1, 1)
        assert rows_of(
            tmp_path / "working.db", "SELECT receipt_no, donated_on, amount_fen, platform FROM donation"
        ) == [("ALI0001", "2023-07-01", 1250, "支付宝公益")]
    finally:
        platforms.platforms.cache_clear()
        platforms.spec_of.cache_clear()


def test_broken_json_changes_nothing_and_names_the_file(tmp_path):
    engine = new_store(tmp_path)
    reference(engine, tmp_path)
    records = [r for r in orders(51, 30) if is_paid(r)]
    path = write_export(records, tmp_path, "json-array")
    path.write_text(path.read_text(encoding="utf-8")[:-40], encoding="utf-8")  # cut off mid-record
    before = snapshot(tmp_path / "working.db")
    with pytest.raises(UnusableFile) as failed:
        loaders.load_file("donations", path, engine=engine, key=KEY, lang="en")
    assert path.name in str(failed.value)
    assert snapshot(tmp_path / "working.db") == before


def test_cli_summary_names_the_unpaid_orders(deployment, tmp_path):
    from tests.test_cli import portal

    loaders.load_file(
        "programmes", write_dicts(tmp_path / "p.csv", programmes_rows()), engine=deployment.working, key=deployment.key
    )
    records = orders(61, 80)
    unpaid = sum(not is_paid(r) for r in records)
    path = write_export(records, tmp_path, "json-data")
    done = portal(deployment, "--lang", "en", "load", "donations", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["loaded"], summary["not_paid"], summary["platform"]) == (
        len(records) - unpaid,
        unpaid,
        TENCENT.name,
    )
    records = orders(62, 80)  # another export: the same file again would be "unchanged"
    unpaid = sum(not is_paid(r) for r in records)
    done = portal(deployment, "--lang", "zh", "load", "donations", str(write_export(records, tmp_path, "csv-utf8")))
    assert done.returncode == 0, done.stderr
    assert f"{unpaid} 笔订单未支付" in done.stdout
