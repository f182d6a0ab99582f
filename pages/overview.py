"""总览 Overview: headline figures with change vs the prior period, a small trend each, and
plain sentences filled with published values: only for the kinds of data the programme has."""

import streamlit as st

from portal import ui
from portal.i18n import t

ctx = ui.context()
# the four cards: the first four of these the programme has (a volunteer-only programme
# shows its hours and volunteers, not ¥0)
CARDS = (
    "funds_raised", "funds_disbursed", "children_served", "volunteer_hours",
    "children_in_care", "volunteers_active", "home_visits", "children_reached", "donations",
)  # fmt: skip
SENTENCE_FIGURES = (
    "funds_disbursed", "children_served", "child_times", "funds_raised", "donations", "balance",
    "disbursement_rate", "volunteers_active", "volunteer_hours", "home_visits", "children_in_care", "children_paired",
)  # fmt: skip
# each sentence, the figures it needs, and the optional ones it names where the programme has them
SENTENCES = (
    ("overview.sentence_disbursed", ("funds_disbursed", "children_served", "child_times")),
    ("overview.sentence_raised", ("funds_raised", "donations")),
    ("overview.sentence_balance", ("balance", "disbursement_rate")),
    ("overview.sentence_care", ("children_in_care", "children_paired")),
    ("overview.sentence_care_unpaired", ("children_in_care",)),
    ("overview.sentence_volunteers", ("volunteers_active", "volunteer_hours", "home_visits")),
    ("overview.sentence_volunteers_no_visits", ("volunteers_active", "volunteer_hours")),
)
TRENDS = (("funds_raised", "funds_disbursed"), ("children_served", "child_times"), ("volunteer_hours",))

st.title(t("nav.overview", ctx.lang))
st.caption(t("overview.intro", ctx.lang, programme=ui.markdown_text(ctx.programme_name()), period=ctx.period_name()))

if ui.coverage_notes(CARDS):
    keys = ui.trend_periods(ctx)
    frame = ui.cells(SENTENCE_FIGURES + CARDS, sorted({*keys, ctx.period, *ui.previous_of(ctx)}))

    cards = ui.present(CARDS)[:4]
    columns = st.columns(2) + st.columns(2)
    for figure, column in zip(cards, columns, strict=False):
        with column.container(border=True):
            ui.metric(frame, figure)
            ui.sparkline(frame, figure, keys)

    # every value goes into a sentence with its unit (the templates carry none: no "少于10人名")
    text = ui.period_texts(frame, SENTENCE_FIGURES, with_unit=SENTENCE_FIGURES).get
    values = dict(
        period=ctx.period_name(), amount=text("funds_disbursed"),
        programme=t("overview.all_subject", ctx.lang) if ctx.programme == "all" else ctx.programme_name(),
        children=text("children_served"), times=text("child_times"), raised=text("funds_raised"),
        donations=text("donations"), balance=text("balance"), rate=text("disbursement_rate"),
        in_care=text("children_in_care"), paired=text("children_paired"), volunteers=text("volunteers_active"),
        hours=text("volunteer_hours"), visits=text("home_visits"),
    )  # fmt: skip
    sentences, said = [], set()
    for key, needs in SENTENCES:
        subject = needs[0]
        if subject not in said and all(ctx.has(f) for f in needs):
            sentences.append(t(key, ctx.lang, **values))
            said.add(subject)
    if sentences:
        st.header(t("overview.summary", ctx.lang))
        st.markdown("\n".join(f"- {ui.markdown_text(s)}" for s in sentences))

    trend = next((list(group) for group in TRENDS if ui.present(group)), None)
    if trend:
        ui.trend_block(frame, trend, key="overview_trend", title=t("overview.trend", ctx.lang))
