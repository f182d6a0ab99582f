"""总览 Overview: headline figures with change vs the prior period, a small trend each, and
plain sentences filled with published values."""

import streamlit as st

from portal import charts, formatting, ui
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
        view = charts.over_time(frame, figure, keys)
        if not view.empty:
            about = t(  # the sparkline's text alternative; its table twin holds the same points
                "chart.description_trend",
                ctx.lang,
                programme=ctx.programme_name(),
                figure=ui.figure_name(figure),
                ptype=t(f"ptype.{'year' if ctx.ptype == 'all' else ctx.ptype}", ctx.lang),
                n=len(keys),
            )
            small = charts.trend(view, ctx.lang, ctx.k, title=t("overview.trend", ctx.lang), small=True)
            st.altair_chart(small.properties(description=about), width="stretch")
            with st.expander(t("chart.table_twin", ctx.lang)):
                table = charts.table(charts.annotate(view, None, ctx.lang, ctx.k), None, ctx.lang)
                st.dataframe(table, hide_index=True, width="stretch")


def text(figure: str) -> str:
    view = charts.select(frame, figure, ctx.period)
    if view.empty:
        return "—"
    # counts go into the sentence bare (the template carries 名/人次); money and hours keep their unit
    bare = figure not in ("volunteer_hours",)
    return formatting.cell(figure, view["value"].iloc[0], view["status"].iloc[0], ctx.lang, ctx.k, with_unit=not bare)


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
