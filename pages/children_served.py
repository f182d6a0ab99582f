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

    # (figures, the figures one of which it needs, key, title)
    trends = (
        (["children_served", "child_times"], ("children_served",), "children_trend", "children.people_times"),
        (
            ["children_in_care", "children_served"],
            ("children_in_care", "children_served"),
            "care_vs_served",
            "children.care_vs_served",
        ),
    )
    for figures, needs, key, title in trends:
        if ui.present(needs):
            ui.trend_block(frame, figures, key=key, title=t(title, ctx.lang), where=where, heading=True)

    ui.bar_block(
        frame,
        "children_served",
        "region",
        key="children_region",
        title=t("children.by_region", ctx.lang),
        rank=True,
        heading=True,
    )
    # (figure, breakdown, key, title, county filter) in two columns
    columns = (
        ("children_served", "stage", "children_stage", "children.by_stage", where),
        ("children_in_care", "category", "children_category", "children.by_category", None),
    )
    for column, (figure, by, key, title, within) in zip(st.columns(2), columns, strict=True):
        with column:
            ui.bar_block(frame, figure, by, key=key, title=t(title, ctx.lang), where=within)
