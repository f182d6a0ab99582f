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
    # (figure, breakdown, key, title): a row of two columns each; counties are ranked
    rows = (
        (
            ("volunteer_hours", "region", "hours_region", t("volunteers.hours_by_region", ctx.lang)),
            ("volunteers_active", "region", "active_region", t("volunteers.active_by_region", ctx.lang)),
        ),
        (
            ("volunteer_hours", "volunteer_type", "hours_type", t("volunteers.by_type", ctx.lang)),
            ("volunteer_hours", "activity", "hours_activity", t("volunteers.by_activity", ctx.lang)),
        ),
        (
            ("home_visits", "volunteer_type", "visits_type", ui.figure_name("home_visits")),
            ("children_reached", "activity", "reached_activity", ui.figure_name("children_reached")),
        ),
    )
    for row in rows:
        for column, (figure, by, key, title) in zip(st.columns(2), row, strict=True):
            with column:
                ui.bar_block(frame, figure, by, key=key, title=title, rank=by == "region")
