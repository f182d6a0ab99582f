"""募集资金 Funds raised: over time, by channel and donor type, raised vs disbursed with the
balance and disbursement rate publish computed to each period's end."""

import pandas as pd
import streamlit as st

from portal import charts, ui
from portal.i18n import t

ctx = ui.context()
FIGURES = ("funds_raised", "donations", "donors", "funds_disbursed", "balance", "disbursement_rate")

st.title(t("funds.title", ctx.lang))  # donations have no county: no county notice here
if ui.coverage_notes(FIGURES[:3]):
    frame, keys = ui.page_cells(FIGURES)
    ui.headline_row(frame, FIGURES[:3])

    st.header(t("funds.by_time", ctx.lang))
    ui.trend_block(frame, ["funds_raised"], key="raised_trend", title=t("funds.by_time", ctx.lang))

    left, right = st.columns(2)
    with left:
        ui.bar_block(frame, "funds_raised", "channel", key="raised_channel", title=t("funds.by_channel", ctx.lang))
    with right:
        ui.bar_block(
            frame, "funds_raised", "donor_type", key="raised_donor_type", title=t("funds.by_donor_type", ctx.lang)
        )

    if ctx.has("funds_disbursed"):
        st.header(t("funds.raised_vs_disbursed", ctx.lang))
        view = charts.over_time(frame, "funds_raised", keys)
        view = pd.concat([view, charts.over_time(frame, "funds_disbursed", keys)], ignore_index=True)
        ui.chart_block(
            lambda: charts.grouped(view, ctx.lang, ctx.k, title=t("funds.raised_vs_disbursed", ctx.lang)),
            view,
            key="raised_vs_disbursed",
            caption=t("chart.description_pair", ctx.lang, programme=ctx.programme_name(),
                      figures=" / ".join(dict.fromkeys(charts.annotate(view, None, ctx.lang, ctx.k)["figure_name"]))),
            dimension=None,
        )  # fmt: skip
    if ui.present(("balance", "disbursement_rate")):
        m1, m2 = st.columns(2)
        ui.metric(frame, "balance", container=m1)
        ui.metric(frame, "disbursement_rate", container=m2)
        ui.trend_block(frame, ["balance"], key="balance_trend", title=t("funds.balance_rate", ctx.lang))
        ui.trend_block(frame, ["disbursement_rate"], key="rate_trend", title=t("funds.balance_rate", ctx.lang))
        st.caption(t("funds.to_date_note", ctx.lang))
