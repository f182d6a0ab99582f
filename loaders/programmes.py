"""programmes: the reference list of programmes (code is the key)."""

from __future__ import annotations

from loaders.core import Column, Context, KindSpec, text_cell

COLUMNS = (
    Column("code", ("项目编码", "项目代码", "编码", "代码"), ("Code", "Programme code", "Program code"), True),
    Column("name_zh", ("项目名称", "名称", "中文名称"), ("Chinese name", "Name (zh)"), True),
    Column("name_en", ("英文名称", "项目英文名称"), ("English name", "Name (en)"), False),
    Column(
        "started_on", ("开始日期", "启动日期", "成立日期", "开始时间"), ("Started on", "Start date", "Started"), True
    ),
    Column("description_zh", ("项目简介", "简介", "中文简介", "项目说明"), ("Description (zh)",)),
    Column("description_en", ("英文简介", "英文说明"), ("Description", "English description", "Description (en)")),
)


def make_row(ctx: Context, pos: dict[str, int]):
    i_code, i_zh, i_en, i_start, i_dzh, i_den = (pos[c.name] for c in COLUMNS)
    dates = ctx.dates

    def row(r: list) -> list:
        code = text_cell("code", r[i_code], max_len=32)
        name_zh = text_cell("name_zh", r[i_zh], max_len=200)
        name_en = text_cell("name_en", r[i_en], required=False, max_len=200) or name_zh
        started = dates("started_on", r[i_start], past=False)
        return [
            code,
            name_zh,
            name_en,
            started,
            text_cell("description_zh", r[i_dzh], required=False),
            text_cell("description_en", r[i_den], required=False),
        ]

    return row


SPEC = KindSpec(
    kind="programmes",
    columns=COLUMNS,
    table="programme",
    out_cols=("code", "name_zh", "name_en", "started_on", "description_zh", "description_en"),
    key=("code",),
    make_row=make_row,
    file_key=0,
    file_key_column="code",
    needs_reference=False,
)
