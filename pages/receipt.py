"""我的捐赠 Was my gift counted? A donor types a receipt number and the amount and learns
whether that gift is counted, in which programme and month and in which release; nothing else.
Without the right amount a receipt number finds nothing, with one message for both cases, and
attempts are limited per visitor (a reload keeps the count)."""

import streamlit as st

from portal import charts, formatting, receipts, ui
from portal.i18n import t

ctx = ui.context()
lang = ctx.lang
st.title(t("nav.receipt", lang))
st.write(t("receipt.intro", lang))

if not ui.receipt_checks_available():
    st.info(t("receipt.unavailable", lang))
    st.stop()
ui.remember_visitor()

with st.form("receipt_form", clear_on_submit=False):
    receipt_no = st.text_input(
        t("receipt.number", lang), max_chars=64, key="w_receipt_no", placeholder=t("receipt.number_hint", lang)
    )
    amount = st.text_input(
        t("receipt.amount", lang), max_chars=20, key="w_receipt_amount", placeholder=t("receipt.amount_hint", lang)
    )
    submitted = st.form_submit_button(t("receipt.check", lang))

if submitted:
    outcome = ui.check_receipt(receipt_no, amount)
    if outcome.kind == "limited":
        st.warning(t("receipt.too_many", lang, minutes=outcome.wait_minutes))
    elif outcome.kind == "invalid":
        st.info(t("receipt.invalid", lang))
    elif outcome.kind == "found":
        gift = outcome.receipt
        st.success(
            t(
                "receipt.found",
                lang,
                programme=ui.markdown_text(charts.label("programme", gift.programme, lang, ctx.names)),
                month=formatting.period(gift.month, lang),
                release=gift.release_id,
            )
        )
    else:
        st.info(t("receipt.not_found", lang))
# after a check, and back after a reload: the checks this visitor has left
left = outcome.attempts_left if submitted else ui.receipt_checks_left()
if submitted or left < receipts.ATTEMPTS:
    st.caption(t("receipt.attempts_left_one" if left == 1 else "receipt.attempts_left", lang, n=left))
st.caption(t("receipt.privacy", lang))
