"""disbursements: 关爱金发放明细, keyed by payment_no. The child (by ID number) must be on the
programme's register, else the row is rejected; county defaults to the child's county,
purpose to study_living (助学). School year is stored as ``2023-2024``."""

from __future__ import annotations

import re
import unicodedata

from loaders.cells import amount_cell, cell_text, is_empty, text_cell
from loaders.children import COUNTY, ID_NO, NAME, PROGRAMME
from loaders.kinds import Column, Context, KindSpec, positions
from loaders.messages import RowReject

COLUMNS = (
    Column("payment_no", ("发放编号", "流水号", "发放流水号", "发放单号"), ("Payment no", "Payment number"), True),
    Column("paid_on", ("发放日期", "发放时间", "日期"), ("Paid on", "Payment date", "Date"), True),
    ID_NO,
    NAME,
    Column("stage", ("学段", "就读学段"), ("Stage", "School stage"), True),
    Column("school_year", ("学年",), ("School year",)),
    Column("amount", ("发放金额", "金额"), ("Amount",), True),
    Column("purpose", ("用途", "发放用途", "资助类别"), ("Purpose",)),
    Column("county", COUNTY.zh, COUNTY.en),
    PROGRAMME,
)

_YEAR_RANGE = re.compile(r"^(\d{4})\s*[-/~至到—–]\s*(\d{4}|\d{2})\s*(?:学年|年度)?$")
_YEAR_ONE = re.compile(r"^(\d{4})\s*(?:学年|年度|年)?$")


def school_year(value) -> str:
    s = unicodedata.normalize("NFKC", cell_text(value)).replace(" ", "")
    m = _YEAR_RANGE.match(s)
    if m:
        start, end = int(m.group(1)), m.group(2)
        end_year = int(end) if len(end) == 4 else start // 100 * 100 + int(end)
        if end_year != start + 1:
            raise ValueError(value)
    else:
        m = _YEAR_ONE.match(s)
        if not m:
            raise ValueError(value)
        start = int(m.group(1))
    if not 1950 <= start <= 2100:
        raise ValueError(value)
    return f"{start}-{start + 1}"


def make_row(ctx: Context, pos: dict[str, int]):
    p = positions(COLUMNS, pos)
    dates, register = ctx.dates, ctx.register
    stage, purpose = ctx.vocabs("stage", "purpose")

    def row(r: list) -> list:
        payment = text_cell("payment_no", r[p["payment_no"]], max_len=64)
        programme = ctx.programme("programme", r[p["programme"]])
        child = register.get((programme, ctx.ids("id_no", r[p["id_no"]])[1]))
        if child is None:
            raise RowReject("id_no", "child_not_registered", r[p["id_no"]])
        paid = dates("paid_on", r[p["paid_on"]])
        st = stage("stage", r[p["stage"]])
        sy_raw = r[p["school_year"]]
        sy = None
        if not is_empty(sy_raw):
            try:
                sy = school_year(sy_raw)
            except ValueError:
                raise RowReject("school_year", "bad_school_year", sy_raw) from None
        fen = amount_cell("amount", r[p["amount"]])
        if fen <= 0:
            raise RowReject("amount", "amount_not_positive", r[p["amount"]])
        pu = purpose("purpose", r[p["purpose"]], default="study_living")
        county = ctx.region("county", r[p["county"]], required=False) or child[1]
        return [payment, programme, paid, child[0], st, sy, fen, pu, county]

    return row


SPEC = KindSpec(
    kind="disbursements",
    columns=COLUMNS,
    table="disbursement",
    out_cols=(
        "payment_no",
        "programme",
        "paid_on",
        "child_id",
        "stage",
        "school_year",
        "amount_fen",
        "purpose",
        "county",
    ),
    key=("payment_no",),
    make_row=make_row,
    file_key=0,
    file_key_column="payment_no",
)
