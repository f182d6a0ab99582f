"""children: 关爱对象名册, keyed by (programme, the child's pseudonym).

The ID number is checked (GB 11643) and used only for the pseudonym; gender and birth date are
taken from it when the file does not give them (and must agree with it when it does). Only an
age band at enrolment is stored (0-5, 6-11, 12-14, 15-17, 18+). The name is required
(raw-formats.md): a row without one is rejected, but it is only checked for being there, never
stored. Town, guardian, address, school and bank account are recognised (so they are not
reported as unknown) and never read."""

from __future__ import annotations

import dataclasses
import datetime as dt

from loaders.cells import bool_cell, is_empty, parse_date, required_present
from loaders.kinds import Column, Context, KindSpec, positions
from loaders.messages import RowReject

ID_NO = Column(
    "id_no",
    ("身份证号", "身份证号码", "公民身份号码", "证件号", "证件号码"),
    ("ID no", "ID number", "Identity number", "ID"),
    True,
    pii="id",
)
NAME = Column("name", ("姓名", "儿童姓名"), ("Name", "Child name"), pii="name")  # optional on payments
CHILD_NAME = dataclasses.replace(NAME, required=True)  # required on the register, never stored
COUNTY = Column(
    "county", ("县区", "县（市、区）", "县市区", "区县", "所在县区", "县(市)区"), ("County", "District", "Region"), True
)
PROGRAMME = Column("programme", ("项目", "项目名称"), ("Programme", "Program", "Project"), True)

COLUMNS = (
    ID_NO,
    CHILD_NAME,
    Column("gender", ("性别",), ("Gender", "Sex")),
    Column("birth_date", ("出生日期", "出生年月日", "生日"), ("Birth date", "Date of birth", "DOB")),
    COUNTY,
    Column("town", ("乡镇（街道）", "乡镇", "街道", "乡镇街道"), ("Town",), pii="text"),
    Column("category", ("困境类型", "困境儿童类型", "类别", "类型"), ("Category",), True),
    Column(
        "enrolled_on",
        ("纳入日期", "入册日期", "纳入时间", "认定日期"),
        ("Enrolled on", "Enrolment date", "Enrolled"),
        True,
    ),
    Column("exited_on", ("退出日期", "退出时间"), ("Exited on", "Exit date", "Exited")),
    Column("paired", ("是否结对", "结对", "是否结对帮扶"), ("Paired",)),
    Column("guardian_name", ("监护人", "监护人姓名"), ("Guardian", "Guardian name"), pii="name"),
    Column("guardian_phone", ("监护人电话", "监护人联系电话", "联系电话"), ("Guardian phone", "Phone"), pii="phone"),
    Column("address", ("家庭住址", "住址", "地址", "家庭地址"), ("Address",), pii="text"),
    Column("school", ("就读学校", "学校"), ("School",), pii="text"),
    Column("bank_account", ("银行账号", "银行卡号", "账号", "社保卡号"), ("Bank account",), pii="id"),
    PROGRAMME,
)

AGE_BANDS = ((5, "0-5"), (11, "6-11"), (14, "12-14"), (17, "15-17"))


def age_band(birth: dt.date, on: dt.date) -> str:
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    for upper, band in AGE_BANDS:
        if age <= upper:
            return band
    return "18+"


def make_row(ctx: Context, pos: dict[str, int]):
    p = positions(COLUMNS, pos)
    dates = ctx.dates
    category, gender_vocab = ctx.vocabs("category", "gender")

    def row(r: list) -> list:
        info, pseudonym = ctx.ids("id_no", r[p["id_no"]])
        required_present("name", r[p["name"]])
        programme = ctx.programme("programme", r[p["programme"]])
        gender = info.gender
        g = r[p["gender"]]
        if not is_empty(g):
            try:
                stated = gender_vocab("gender", g)
            except RowReject:
                raise RowReject("gender", "bad_gender", g) from None
            if stated != gender:
                raise RowReject("gender", "id_gender_mismatch", g)
        b = r[p["birth_date"]]
        if not is_empty(b):
            try:
                stated_birth = parse_date(b)
            except (ValueError, OverflowError):
                raise RowReject("birth_date", "bad_date", b) from None
            if stated_birth != info.birth_date:
                raise RowReject("birth_date", "id_birth_mismatch", b)
        county = ctx.region("county", r[p["county"]])
        cat = category("category", r[p["category"]])
        enrolled = dates("enrolled_on", r[p["enrolled_on"]])
        exited = dates("exited_on", r[p["exited_on"]], required=False)
        if exited is not None and exited < enrolled:
            raise RowReject("exited_on", "exited_before_enrolled", r[p["exited_on"]])
        enrolled_date = dt.date.fromisoformat(enrolled)
        if enrolled_date < info.birth_date:
            raise RowReject("enrolled_on", "enrolled_before_birth", r[p["enrolled_on"]])
        paired = bool_cell("paired", r[p["paired"]])
        return [
            programme,
            pseudonym,
            gender,
            age_band(info.birth_date, enrolled_date),
            county,
            cat,
            enrolled,
            exited,
            paired,
        ]

    return row


SPEC = KindSpec(
    kind="children",
    columns=COLUMNS,
    table="child",
    out_cols=(
        "programme",
        "person_id",
        "gender",
        "age_band",
        "county",
        "category",
        "enrolled_on",
        "exited_on",
        "paired",
    ),
    key=("programme", "person_id"),
    make_row=make_row,
    person_col="person_id",
    file_key=lambda out: (out[0], out[1]),
    file_key_column="id_no",
)
