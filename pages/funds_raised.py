"""募集资金 Funds raised: raised beside disbursed over time (raised alone for a programme that
pays nothing out), by channel and donor type, and the balance and disbursement rate publish
computed to each period's end."""

import pandas as pd
import streamlit as st

from portal import charts, ui
from portal.i18n import t

ctx = ui.context()
FIGURES = ("funds_raised", "donations", "donors", "funds_disbursed", "balance", "disbursement_rate")

st.title(t("nav.funds_raised", ctx.lang))  # donations have no county: no county notice here
if ui.coverage_notes(FIGURES[:3]):
    frame, keys = ui.page_cells(FIGURES)
    ui.headline_row(frame, FIGURES[:3])

    # over time: raised beside disbursed where the programme pays out (that chart holds the
    # raised trend too: one chart, not two, on a phone), else raised alone
    if ctx.has("funds_disbursed"):

        def pair() -> tuple[pd.DataFrame, str]:
            pair = [charts.over_time(frame, f, keys) for f in ("funds_raised", "funds_disbursed")]
            view = pd.concat(pair, ignore_index=True)
            names = " / ".join(dict.fromkeys(charts.annotate(view, None, ctx.lang, ctx.k)["figure_name"]))
            return view, t("chart.description_pair", ctx.lang, programme=ctx.programme_name(), figures=names)

        view, caption = ui.per_view("raised_vs_disbursed", pair)  # once per view, not on every run
        ui.chart_block(
            lambda: charts.grouped(view, ctx.lang, ctx.k, title=t("funds.raised_vs_disbursed", ctx.lang)),
            view,
            key="raised_vs_disbursed",
            caption=caption,
            dimension=None,
            heading=t("funds.raised_vs_disbursed", ctx.lang),
            embed=ui.embed_address(["funds_raised", "funds_disbursed"], chart="grouped"),
        )  # fmt: skip
    else:
        ui.trend_block(frame, ["funds_raised"], key="raised_trend", title=t("funds.by_time", ctx.lang), heading=True)

    # pairs of charts are tabs: one chart's height on a phone, where columns stack
    breakdowns = (
        ("channel", "raised_channel", "funds.by_channel"),
        ("donor_type", "raised_donor_type", "funds.by_donor_type"),
    )
    for tab, (by, key, title) in zip(st.tabs([t(b[2], ctx.lang) for b in breakdowns]), breakdowns, strict=True):
        with tab:
            ui.bar_block(frame, "funds_raised", by, key=key, title=t(title, ctx.lang), titled=False)

    if ui.present(("balance", "disbursement_rate")):
        m1, m2 = st.columns(2)
        ui.metric(frame, "balance", container=m1)
        ui.metric(frame, "disbursement_rate", container=m2)
        trends = (
            ("balance", "balance_trend", "funds.balance_trend"),
            ("disbursement_rate", "rate_trend", "funds.rate_trend"),
        )
        trends = tuple(trend for trend in trends if ctx.has(trend[0]))
        for tab, (figure, key, title) in zip(st.tabs([t(x[2], ctx.lang) for x in trends]), trends, strict=True):
            with tab:
                ui.trend_block(frame, [figure], key=key, title=t(title, ctx.lang), titled=False)
        st.caption(t("funds.to_date_note", ctx.lang))
