"""总览 Overview: headline figures with change vs the prior period, a small trend each, and
plain sentences filled with published values."""

import streamlit as st

from portal import ui
from portal.i18n import t

ctx = ui.context()
HEADLINES = ("funds_raised", "funds_disbursed", "children_served", "volunteer_hours")
SENTENCE_FIGURES = (
    "funds_disbursed", "children_served", "child_times", "funds_raised", "donations", "balance",
    "disbursement_rate", "volunteers_active", "volunteer_hours", "home_visits", "children_in_care", "children_paired",
)  # fmt: skip

st.title(t("overview.title", ctx.lang))
st.caption(t("overview.intro", ctx.lang, programme=ctx.programme_name(), period=ctx.period_name()))

keys = ui.trend_periods(ctx)
frame = ui.cells(SENTENCE_FIGURES, sorted({*keys, ctx.period, *ui.previous_of(ctx)}))

columns = st.columns(2) + st.columns(2)
for figure, column in zip(HEADLINES, columns, strict=True):
    with column.container(border=True):
        ui.metric(frame, figure)
        ui.sparkline(frame, figure, keys)

# counts go into the sentences bare (the templates carry 名/人次); money and hours keep their unit
text = ui.period_texts(frame, SENTENCE_FIGURES, with_unit=("volunteer_hours",)).get

st.header(t("overview.summary", ctx.lang))
period = ctx.period_name()
sentences = [
    t("overview.sentence_disbursed", ctx.lang, period=period, programme=ctx.programme_name(),
      amount=text("funds_disbursed"), children=text("children_served"), times=text("child_times")),
    t("overview.sentence_raised", ctx.lang, period=period, amount=text("funds_raised"), donations=text("donations")),
    t("overview.sentence_balance", ctx.lang, balance=text("balance"), rate=text("disbursement_rate")),
    t("overview.sentence_care", ctx.lang, in_care=text("children_in_care"), paired=text("children_paired")),
    t("overview.sentence_volunteers", ctx.lang, volunteers=text("volunteers_active"),
      hours=text("volunteer_hours"), visits=text("home_visits")),
]  # fmt: skip
st.markdown("\n".join(f"- {s}" for s in sentences))

ui.trend_block(frame, ["funds_raised", "funds_disbursed"], key="overview_trend", title=t("overview.trend", ctx.lang))
