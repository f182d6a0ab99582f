"""志愿服务 Volunteers: hours and active volunteers by county, type and activity; home visits;
children reached."""

import streamlit as st

from portal import ui
from portal.i18n import t

ctx = ui.context()
FIGURES = ("volunteer_hours", "volunteers_active", "home_visits", "children_reached")
where = ui.page_top("nav.volunteers")
if ui.coverage_notes(FIGURES[:2]):
    frame, keys = ui.page_cells(FIGURES)
    ui.headline_row(frame, FIGURES, where=where)

    ui.trend_block(frame, ["volunteer_hours"], key="hours_trend", title=t("volunteers.trend", ctx.lang), where=where)
    st.header(t("volunteers.by_region", ctx.lang))
    left, right = st.columns(2)
    with left:
        ui.bar_block(
            frame,
            "volunteer_hours",
            "region",
            key="hours_region",
            title=t("volunteers.hours_by_region", ctx.lang),
            rank=True,
        )
    with right:
        ui.bar_block(
            frame,
            "volunteers_active",
            "region",
            key="active_region",
            title=t("volunteers.active_by_region", ctx.lang),
            rank=True,
        )
    left, right = st.columns(2)
    with left:
        ui.bar_block(
            frame, "volunteer_hours", "volunteer_type", key="hours_type", title=t("volunteers.by_type", ctx.lang)
        )
    with right:
        ui.bar_block(
            frame, "volunteer_hours", "activity", key="hours_activity", title=t("volunteers.by_activity", ctx.lang)
        )
    left, right = st.columns(2)
    with left:
        ui.bar_block(frame, "home_visits", "volunteer_type", key="visits_type", title=ui.figure_name("home_visits"))
    with right:
        ui.bar_block(
            frame, "children_reached", "activity", key="reached_activity", title=ui.figure_name("children_reached")
        )
