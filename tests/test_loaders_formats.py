"""What staff really produce: GB18030/GBK/BOM CSVs, XLSX with date cells and serials, Chinese and
English headers with units, full-width brackets, stray spaces and a title row."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from openpyxl import Workbook

from loaders import UnusableFile, guess_kind, load_file
from portal.pseudonym import Pseudonymiser
from tests.loader_fixtures import KEY, load_reference, make_id, new_store, rows_of, write_csv


@pytest.fixture
def store(tmp_path):
    engine = new_store(tmp_path)
    load_reference(engine, tmp_path)
    return engine, tmp_path, tmp_path / "working.db"


ZH_DONATION_HEADER = [
    " 票据号 ",
    "捐赠日期",
    "捐赠金额（元）",
    "捐赠渠道",
    "捐赠人类型",
    "捐赠人",
    "联系电话",
    "项目名称",
    "备注",
]


def zh_donations(rng: random.Random, n: int) -> tuple[list[list], dict[str, int]]:
    rows, expected = [], {}
    forms = ["{y}.{f:02d}", "{y:,}.{f:02d}", "￥{y:,}.{f:02d}", "￥{y}.{f:02d}", "{y}.{f:02d}元"]
    dates = ["{d:%Y-%m-%d}", "{d:%Y/%m/%d}", "{d:%Y.%m.%d}", "{d:%Y%m%d}", "{d.year}年{d.month}月{d.day}日"]
    for i in range(n):
        fen = rng.randrange(1, 10**8)
        y, f = divmod(fen, 100)
        d = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(365))
        no = f"JZ{i:05d}"
        expected[no] = fen
        rows.append(
            [
                no,
                dates[i % 5].format(d=d),
                forms[i % 5].format(y=y, f=f),
                rng.choice(["腾讯公益", "现金", "银行转账", "慈善一日捐"]),
                rng.choice(["个人", "企业"]),
                "张三",
                f"1380000{i:04d}",
                "南通关爱",
                "备注文字",
            ]
        )
    return rows, expected


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-8"])
def test_csv_encodings_detected(store, encoding):
    engine, tmp, db = store
    rows, expected = zh_donations(random.Random(encoding), 25)
    path = write_csv(tmp / f"捐赠明细_{encoding}.csv", ZH_DONATION_HEADER, rows, encoding=encoding)
    r = load_file("donations", path, engine=engine, key=KEY)
    assert (r.loaded, r.rejected) == (len(rows), 0)
    assert r.ignored_columns == ("备注",)
    assert dict(rows_of(db, "SELECT receipt_no, amount_fen FROM donation")) == expected
    platforms = {p for (p,) in rows_of(db, "SELECT platform FROM donation WHERE channel='online'")}
    assert platforms <= {"腾讯公益"}


def test_gb18030_children_with_chinese_values(store):
    engine, tmp, db = store
    rng = random.Random(11)
    header = [
        "身份证号",
        "姓名",
        "性别",
        "县（市、区）",
        "乡镇（街道）",
        "困境类型",
        "纳入日期",
        "是否结对",
        "项目",
        "监护人",
        "家庭住址",
    ]
    ids = [make_id(rng) for _ in range(8)]
    rows = [
        [i, "王小明", "", "海门区", "三厂街道", "事实孤儿", "2023年3月1日", "是", "南通关爱", "王大明", "某某路1号"]
        for i in ids
    ]
    path = write_csv(tmp / "名册.csv", header, rows, encoding="gb18030")
    r = load_file("children", path, engine=engine, key=KEY)
    assert (r.loaded, r.rejected, r.ignored_columns) == (len(ids), 0, ())
    got = rows_of(db, "SELECT category, county, paired, enrolled_on FROM child")
    assert set(got) == {("de_facto_orphan", "320614", 1, "2023-03-01")}
    genders = sorted(g for (g,) in rows_of(db, "SELECT gender FROM child"))
    assert genders == sorted("male" if int(i[16]) % 2 else "female" for i in ids)


def test_english_headers_and_labels(store):
    engine, tmp, db = store
    header = ["Receipt No.", "Donation date", "Amount (yuan)", "Channel", "Donor type", "Donor", "Phone", "Programme"]
    rows = [
        ["E1", "2023-05-01", "12.30", "Bank transfer", "Company", "", "", "Nantong care"],
        ["E2", "2023-05-02", "7", "payroll", "Social organisation", "", "", "NT-CARE"],
        ["E3", "2023-05-03", "1,000", "Alipay 公益", "public body", "", "", "nt-care"],
    ]
    path = write_csv(tmp / "en.csv", header, rows)
    r = load_file("donations", path, engine=engine, key=KEY, lang="en")
    assert (r.loaded, r.rejected) == (2, 1)
    assert sorted(rows_of(db, "SELECT receipt_no, channel, donor_type, amount_fen FROM donation")) == [
        ("E1", "bank", "company", 1230),
        ("E2", "payroll", "social_org", 700),
    ]
    assert "not a valid Channel" in (tmp / "en.csv.rejects.csv").read_text(encoding="utf-8-sig")


def test_title_row_above_header(store):
    engine, tmp, _db = store
    path = write_csv(
        tmp / "t.csv",
        ["2023年度捐赠明细表", "", ""],
        [
            [],
            ["票据号", "捐赠日期", "金额(元)", "渠道", "捐赠人类型", "项目"],
            ["T1", "2023-01-01", "5", "现金", "个人", "NT-CARE"],
        ],
    )
    r = load_file("donations", path, engine=engine, key=KEY, lang="en")
    assert (r.rows, r.loaded) == (1, 1)
    assert guess_kind(path) == "donations"


def xlsx(path, sheets: dict[str, list[list]]):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_xlsx_date_cells_serials_and_numbers(store):
    engine, tmp, db = store
    rng = random.Random(12)
    header = ["票据号", "捐赠日期", "捐赠金额（元）", "捐赠渠道", "捐赠人类型", "捐赠人", "联系电话", "项目名称"]
    rows, expected_fen, expected_day = [], {}, {}
    for i in range(30):
        d = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(365))
        fen = rng.randrange(1, 10**7)
        cell_date = [dt.datetime.combine(d, dt.time(9)), d, (d - dt.date(1899, 12, 30)).days, d.isoformat()][i % 4]
        cell_amount = [fen / 100, f"¥{fen / 100:,.2f}", fen // 100 * 100 / 100][i % 3]
        if i % 3 == 2:
            fen = fen // 100 * 100
        rows.append([f"X{i}", cell_date, cell_amount, "支付宝公益", "个人", "李四", 13900000000 + i, "NT-CARE"])
        expected_fen[f"X{i}"], expected_day[f"X{i}"] = fen, d.isoformat()
    path = xlsx(tmp / "d.xlsx", {"说明": [["本表说明"]], "捐赠": [header, *rows]})
    with pytest.raises(UnusableFile):  # the first sheet is not a donations table
        load_file("donations", path, engine=engine, key=KEY)
    with pytest.raises(UnusableFile) as exc:
        load_file("donations", path, engine=engine, key=KEY, sheet="没有")
    assert "没有" in str(exc.value)
    r = load_file("donations", path, engine=engine, key=KEY, sheet="捐赠")
    assert (r.loaded, r.rejected) == (len(rows), 0)
    got = {no: (fen, day) for no, fen, day in rows_of(db, "SELECT receipt_no, amount_fen, donated_on FROM donation")}
    assert got == {k: (expected_fen[k], expected_day[k]) for k in expected_fen}
    # the phone number typed as a number cell still gives the same donor pseudonym as text
    p = Pseudonymiser(KEY)("李四" + "13900000000")
    assert rows_of(
        db, f"SELECT COUNT(*) FROM donation d JOIN person p ON p.id = d.donor_id WHERE p.pseudonym = '{p}'"
    ) == [(1,)]


def test_xlsx_first_sheet_and_volunteer_times(store):
    engine, tmp, db = store
    header = [
        "记录编号",
        "志愿者姓名",
        "志愿者证件号",
        "手机号",
        "志愿者类型",
        "县区",
        "服务日期",
        "服务时长（小时）",
        "签到时间",
        "签退时间",
        "服务内容",
        "项目",
    ]
    rng = random.Random(13)
    vid = make_id(rng, dt.date(1980, 1, 1))
    day = dt.date(2023, 6, 1)
    rows = [
        ["S1", "赵五", vid, "", "党员", "320614", day, 2.5, None, None, "入户走访", "NT-CARE"],
        ["S2", "赵五", vid, "", "党员", "海门区", day, None, dt.time(8, 30), dt.time(11, 15), "学习辅导", "NT-CARE"],
        [
            "S3",
            "钱六",
            "",
            "13700001111",
            "学生",
            "启东市",
            day,
            None,
            dt.datetime(2023, 6, 1, 14, 0),
            dt.datetime(2023, 6, 1, 17, 20),
            "其他",
            "NT-CARE",
        ],
        [
            "S4",
            "钱六",
            "",
            "137 0000 1111",
            "学生",
            "启东市",
            day.isoformat(),
            "",
            "2023-06-01 08:00",
            "2023-06-01 09:00",
            "夏令营",
            "NT-CARE",
        ],
    ]
    path = xlsx(tmp / "v.xlsx", {"Sheet1": [header, *rows]})
    r = load_file("volunteer_hours", path, engine=engine, key=KEY)
    assert (r.loaded, r.rejected) == (4, 0)
    got = dict(rows_of(db, "SELECT record_no, seconds FROM service_record"))
    assert got == {"S1": 9000, "S2": 2 * 3600 + 45 * 60, "S3": 3 * 3600 + 20 * 60, "S4": 3600}
    assert rows_of(db, "SELECT COUNT(DISTINCT volunteer_id) FROM service_record") == [(2,)]


def test_regions_public_default_and_lookup_by_name(store):
    engine, tmp, db = store
    assert dict(rows_of(db, "SELECT code, public FROM region")) == {"320600": 0, "320614": 1, "320684": 1, "320612": 1}
    path = write_csv(
        tmp / "r.csv",
        ["区划代码", "名称", "英文名称", "上级代码", "是否公开"],
        [["320602", "崇川区", "Chongchuan", "320600", "否"]],
    )
    load_file("regions", path, engine=engine, key=KEY)
    assert rows_of(db, "SELECT public FROM region WHERE code='320602'") == [(0,)]


def test_guess_kind_from_chinese_headers(tmp_path):
    for kind, header in [
        ("children", ["身份证号", "姓名", "县区", "困境类型", "纳入日期", "项目"]),
        ("disbursements", ["发放编号", "发放日期", "身份证号", "学段", "发放金额", "项目"]),
        ("volunteer_hours", ["记录编号", "志愿者姓名", "手机号", "县区", "服务日期", "服务时长（小时）", "项目"]),
        ("programmes", ["项目编码", "项目名称", "开始日期"]),
        ("stage_standards", ["项目", "学段", "每年每人标准（元）"]),
    ]:
        assert guess_kind(write_csv(tmp_path / f"{kind}.csv", header, [])) == kind


def test_xlsx_id_number_stored_as_number_is_explained(store):
    engine, tmp, db = store
    rng = random.Random(14)
    good, lost = make_id(rng), make_id(rng)
    header = ["身份证号", "姓名", "县区", "困境类型", "纳入日期", "项目"]
    rows = [
        [good, "甲", "海门区", "孤儿", dt.date(2023, 1, 5), "NT-CARE"],
        [float(lost[:17] + "0"), "乙", "海门区", "孤儿", dt.date(2023, 1, 5), "NT-CARE"],
    ]
    path = xlsx(tmp / "c.xlsx", {"名册": [header, *rows]})
    r = load_file("children", path, engine=engine, key=KEY.decode(), lang="en")
    assert (r.loaded, r.rejected) == (1, 1)
    text = (tmp / "c.xlsx.rejects.csv").read_text(encoding="utf-8-sig")
    assert "as a number" in text and lost[4:14] not in text
    assert rows_of(db, "SELECT COUNT(*) FROM child") == [(1,)]
