"""programmes: the reference list of programmes (code is the key)."""

from __future__ import annotations

from loaders.cells import text_cell
from loaders.kinds import Column, Context, KindSpec
from loaders.messages import RowReject
from loaders.platforms import format_project_ids, project_ids_cell

COLUMNS = (
    Column("code", ("项目编码", "项目代码", "编码", "代码"), ("Code", "Programme code", "Program code"), True),
    Column("name_zh", ("项目名称", "名称", "中文名称"), ("Chinese name", "Name (zh)"), True),
    Column("name_en", ("英文名称", "项目英文名称"), ("English name", "Name (en)"), False),
    Column(
        "started_on", ("开始日期", "启动日期", "成立日期", "开始时间"), ("Started on", "Start date", "Started"), True
    ),
    Column("description_zh", ("项目简介", "简介", "中文简介", "项目说明"), ("Description (zh)",)),
    Column("description_en", ("英文简介", "英文说明"), ("Description", "English description", "Description (en)")),
    # the fundraising-platform projects whose orders are this programme's gifts (platforms.py)
    Column(
        "platform_project_ids",
        ("平台项目ID", "平台项目编号", "平台项目"),
        ("Platform project IDs", "Platform projects"),
    ),
)


def make_row(ctx: Context, pos: dict[str, int]):
    i_code, i_zh, i_en, i_start, i_dzh, i_den, i_ids = (pos[c.name] for c in COLUMNS)
    dates = ctx.dates
    claimed: dict[tuple[str, str], str] = {}  # platform project -> the programme listing it first

    def row(r: list) -> list:
        code = text_cell("code", r[i_code], max_len=32)
        name_zh = text_cell("name_zh", r[i_zh], max_len=200)
        name_en = text_cell("name_en", r[i_en], required=False, max_len=200) or name_zh
        started = dates("started_on", r[i_start], past=False)
        projects = project_ids_cell("platform_project_ids", r[i_ids])
        for project in projects:
            first = claimed.setdefault(project, code)
            if first != code:
                raise RowReject("platform_project_ids", "platform_project_taken", r[i_ids], programme=first)
        return [
            code,
            name_zh,
            name_en,
            started,
            text_cell("description_zh", r[i_dzh], required=False),
            text_cell("description_en", r[i_den], required=False),
            format_project_ids(projects),
        ]

    return row


SPEC = KindSpec(
    kind="programmes",
    columns=COLUMNS,
    table="programme",
    out_cols=(
        "code",
        "name_zh",
        "name_en",
        "started_on",
        "description_zh",
        "description_en",
        "platform_project_ids",
    ),
    key=("code",),
    make_row=make_row,
    file_key=0,
    file_key_column="code",
    needs_reference=False,
)
