"""开放数据 Open data: what the read-only API offers, with calls to copy (curl, pandas), and how
to embed a chart. The API itself is ``portal.api``, on this same server."""

import pandas as pd
import streamlit as st

from portal import open_data, ui
from portal.i18n import t

ctx = ui.context()
lang = ctx.lang
base = ui.base_url()
st.title(t("nav.open_data", lang))
st.markdown(t("open_data.intro", lang))

st.header(t("open_data.endpoints", lang))
endpoints = (
    ("/api/v1/releases", "endpoint_releases"),
    ("/api/v1/figures", "endpoint_figures"),
    ("/api/v1/glossary", "endpoint_glossary"),
    ("/api/v1/datapackage.json", "endpoint_datapackage"),
    ("/api/v1/openapi.json", "endpoint_openapi"),
)
st.table(
    pd.DataFrame(
        {
            "URL": [f"[`{path}`]({base}{path})" for path, _ in endpoints],  # paths are code, not words
            t("col.note", lang): [t(f"open_data.{key}", lang) for _, key in endpoints],
        }
    ).set_index("URL")
)
st.caption(t("open_data.caching", lang))

st.header(t("open_data.examples", lang))
for name, code in open_data.examples(base).items():
    st.caption(f"`{name}`")  # curl, pandas: program names
    # plain text: Streamlit's syntax colours fall below WCAG AA contrast on its code background
    st.code(code, language=None, wrap_lines=True)

st.header(t("open_data.embeds", lang))
st.markdown(t("open_data.embeds_body", lang))
st.caption(t("open_data.licence", lang))
