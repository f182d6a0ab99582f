"""regions: 6-digit administrative codes. Counties/districts (a code not ending in ``00``)
are public by default; cities (ending ``00``) group them and are not published. An optional
``public`` column (是/否) overrides the default."""

from __future__ import annotations

from loaders.cells import bool_cell, cell_text, is_empty, text_cell
from loaders.kinds import Column, Context, KindSpec
from loaders.messages import RowReject

COLUMNS = (
    Column("code", ("区划代码", "行政区划代码", "代码", "编码"), ("Code", "Region code"), True),
    Column("name_zh", ("名称", "区划名称", "中文名称", "县区"), ("Chinese name", "Name (zh)"), True),
    Column("name_en", ("英文名称",), ("English name", "Name (en)")),
    Column("parent_code", ("上级代码", "上级区划代码", "父级代码", "所属市代码"), ("Parent code", "Parent")),
    Column("public", ("是否公开", "公开"), ("Public", "Published")),
)


def region_code(column: str, value, *, required: bool = True) -> str | None:
    if is_empty(value):
        if required:
            raise RowReject(column, "required_missing", value)
        return None
    s = cell_text(value)
    if len(s) != 6 or not (s.isascii() and s.isdigit()):
        raise RowReject(column, "bad_region_code", value)
    return s


def make_row(ctx: Context, pos: dict[str, int]):
    i_code, i_zh, i_en, i_parent, i_public = (pos[c.name] for c in COLUMNS)

    def row(r: list) -> list:
        code = region_code("code", r[i_code])
        name_zh = text_cell("name_zh", r[i_zh], max_len=100)
        name_en = text_cell("name_en", r[i_en], required=False, max_len=100) or name_zh
        parent = region_code("parent_code", r[i_parent], required=False)
        public = bool_cell("public", r[i_public], default=not code.endswith("00"))
        return [code, name_zh, name_en, parent, public]

    return row


SPEC = KindSpec(
    kind="regions",
    columns=COLUMNS,
    table="region",
    out_cols=("code", "name_zh", "name_en", "parent_code", "public"),
    key=("code",),
    make_row=make_row,
    file_key=0,
    file_key_column="code",
    needs_reference=False,
)
