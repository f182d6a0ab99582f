"""惠及儿童 Children served: 人 and 人次, in care vs served, by county (ranked), stage and category."""

import streamlit as st

from portal import ui
from portal.i18n import t

ctx = ui.context()
FIGURES = ("children_served", "child_times", "children_in_care", "children_paired")
where = ui.page_top("nav.children_served")
if ui.coverage_notes(FIGURES):
    frame, keys = ui.page_cells(FIGURES)
    ui.headline_row(frame, FIGURES, where=where)

    if ctx.has("children_served"):
        ui.trend_block(
            frame,
            ["children_served", "child_times"],
            key="children_trend",
            title=t("children.people_times", ctx.lang),
            where=where,
            heading=True,
        )
    if ui.present(("children_in_care", "children_served")):
        ui.trend_block(
            frame,
            ["children_in_care", "children_served"],
            key="care_vs_served",
            title=t("children.care_vs_served", ctx.lang),
            where=where,
            heading=True,
        )

    if ctx.has("children_served"):
        ui.bar_block(
            frame,
            "children_served",
            "region",
            key="children_region",
            title=t("children.by_region", ctx.lang),
            rank=True,
            heading=True,
        )
    left, right = st.columns(2)
    with left:
        ui.bar_block(
            frame,
            "children_served",
            "stage",
            key="children_stage",
            title=t("children.by_stage", ctx.lang),
            where=where,
        )
    with right:
        ui.bar_block(
            frame, "children_in_care", "category", key="children_category", title=t("children.by_category", ctx.lang)
        )
