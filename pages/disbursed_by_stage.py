"""按学段发放 Disbursed by stage: funds and children per stage, the average per child beside
each stage's yearly standard, and the stage × county table."""

import pandas as pd
import streamlit as st

from portal import charts, formatting, periods, ui
from portal.i18n import t
from portal.vocab import vocabulary

ctx = ui.context()
FIGURES = ("funds_disbursed", "children_served", "average_per_child")
where = ui.page_top("nav.disbursed_by_stage")
if ui.coverage_notes(FIGURES):
    frame, _ = ui.page_cells(FIGURES, trend=False)
    ui.headline_row(frame, FIGURES, where=where)

    left, right = st.columns(2)
    with left:
        ui.bar_block(
            frame, "funds_disbursed", "stage", key="stage_funds", title=t("stage.funds", ctx.lang), where=where
        )
    with right:
        ui.bar_block(
            frame, "children_served", "stage", key="stage_children", title=t("stage.children", ctx.lang), where=where
        )

    avg = ui.per_view("stage_average", lambda: charts.select(frame, "average_per_child", ctx.period, by=("stage",)))
    ui.chart_block(
        lambda: charts.stage_average(
            avg,
            ui.standards(),
            ctx.lang,
            ctx.k,
            title=t("stage.average", ctx.lang),
            per_year=periods.per_year(ctx.period),
        ),
        avg,
        key="stage_average",
        caption=t("chart.description_stage", ctx.lang, programme=ctx.programme_name(), period=ctx.period_name()),
        dimension="stage",
        heading=t("stage.average", ctx.lang),
    )

    def region_table() -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The stage × county cells and their table of texts (None: no cell), once per view."""
        cross = charts.select(frame, "funds_disbursed", ctx.period, by=("region", "stage"))
        if cross.empty:
            return cross, None
        cross = cross.assign(
            text=[
                formatting.cell("funds_disbursed", v, s, ctx.lang, ctx.k, reason=r)
                for v, s, r in zip(cross["value"], cross["status"], cross["reason"], strict=True)
            ]
        )
        stages = [s for s in vocabulary("stage").codes if s in set(cross["stage"])]
        table = cross.pivot(index="region", columns="stage", values="text").reindex(columns=stages).fillna("—")
        table.index = pd.Index([ctx.region_name(c) for c in table.index], name=charts.vocab_name("region", ctx.lang))
        table.columns = [vocabulary("stage").label(s, ctx.lang) for s in table.columns]
        return cross, table

    st.header(t("stage.region_table", ctx.lang))
    cross, table = ui.per_view("stage_region", region_table)
    if table is None:
        st.info(t("notice.no_data_view", ctx.lang))
    else:
        # an HTML table: every row shown (no scroll inside it), the county column kept in place
        # when the stages scroll sideways on a phone (ui.style.PAGE_CSS), text a screen reader reads;
        # one legend for the two markers a cell may hold
        st.table(table, border="horizontal")
        st.caption(t("stage.region_table_note", ctx.lang, withheld=t("cell.status_withheld", ctx.lang), k=ctx.k))
        ui.downloads_menu("stage_region", lambda: ui.downloads_only(cross, key="stage_region"))
