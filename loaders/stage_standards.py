"""stage_standards: a programme's yearly allowance per child for each stage (yuan -> fen)."""

from __future__ import annotations

from loaders.cells import amount_cell
from loaders.kinds import Column, Context, KindSpec
from loaders.messages import RowReject

COLUMNS = (
    Column("programme", ("项目", "项目名称", "项目编码"), ("Programme", "Program", "Project"), True),
    Column("stage", ("学段",), ("Stage", "School stage"), True),
    Column(
        "yearly_amount",
        ("年度标准", "每年每人标准", "年标准", "资助标准", "标准"),
        ("Yearly amount", "Yearly standard", "Standard"),
        True,
    ),
)


def make_row(ctx: Context, pos: dict[str, int]):
    i_prog, i_stage, i_amount = (pos[c.name] for c in COLUMNS)
    stage = ctx.vocab("stage")

    def row(r: list) -> list:
        programme = ctx.programme("programme", r[i_prog])
        code = stage("stage", r[i_stage])
        fen = amount_cell("yearly_amount", r[i_amount])
        if fen <= 0:
            raise RowReject("yearly_amount", "amount_not_positive", r[i_amount])
        return [programme, code, fen]

    return row


SPEC = KindSpec(
    kind="stage_standards",
    columns=COLUMNS,
    table="stage_standard",
    out_cols=("programme", "stage", "yearly_fen"),
    key=("programme", "stage"),
    make_row=make_row,
    file_key=lambda out: (out[0], out[1]),
    file_key_column="stage",
)
