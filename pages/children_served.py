"""惠及儿童 Children served: 人 and 人次, in care vs served, by county (ranked), stage and category."""

import streamlit as st

from portal import ui
from portal.i18n import t

ctx = ui.context()
FIGURES = ("children_served", "child_times", "children_in_care", "children_paired")
where = {"region": ctx.region} if ctx.region else None

st.title(t("children.title", ctx.lang))
if ctx.region:
    st.caption(t("notice.region_breakdown", ctx.lang, region=ctx.region_name()))
keys = ui.trend_periods(ctx)
frame = ui.cells(FIGURES, sorted({*keys, ctx.period, *ui.previous_of(ctx)}))

cols = st.columns(4)
for figure, column in zip(FIGURES, cols, strict=True):
    ui.metric(frame, figure, where=where, container=column)

st.subheader(t("children.people_times", ctx.lang))
ui.trend_block(
    frame,
    ["children_served", "child_times"],
    key="children_trend",
    title=t("children.people_times", ctx.lang),
    where=where,
)
st.subheader(t("children.care_vs_served", ctx.lang))
ui.trend_block(
    frame,
    ["children_in_care", "children_served"],
    key="care_vs_served",
    title=t("children.care_vs_served", ctx.lang),
    where=where,
)

st.subheader(t("children.by_region", ctx.lang))
ui.bar_block(
    frame, "children_served", "region", key="children_region", title=t("children.by_region", ctx.lang), rank=True
)
left, right = st.columns(2)
with left:
    ui.bar_block(
        frame, "children_served", "stage", key="children_stage", title=t("children.by_stage", ctx.lang), where=where
    )
with right:
    ui.bar_block(
        frame, "children_in_care", "category", key="children_category", title=t("children.by_category", ctx.lang)
    )
