"""数据说明 About the data: glossary (from the figure registry and vocabularies), methodology,
privacy (K and the method), releases and corrections, licence and citation."""

import pandas as pd
import streamlit as st

from portal import formatting, ui
from portal.figures import FIGURES
from portal.i18n import t
from portal.vocab import VOCAB_DIMENSIONS, vocabulary

ctx = ui.context()
lang = ctx.lang
st.title(t("nav.about", lang))

st.header(t("about.glossary", lang))
st.subheader(t("about.figures", lang))
st.dataframe(
    pd.DataFrame(
        {
            t("col.figure", lang): [f.name(lang) for f in FIGURES],
            t("col.definition", lang): [f.definition(lang) for f in FIGURES],
            t("col.unit", lang): [t(f"unit.{f.unit}", lang) for f in FIGURES],
            t("col.code", lang): [f.key for f in FIGURES],
        }
    ),
    hide_index=True,
    width="stretch",
)
st.subheader(t("about.vocabularies", lang))
for dim in VOCAB_DIMENSIONS:
    vocab = vocabulary(dim)
    with st.expander(vocab.name(lang)):
        st.dataframe(
            pd.DataFrame(
                {
                    t("col.code", lang): list(vocab.codes),
                    t("col.name_zh", lang): [term.zh for term in vocab.terms],
                    t("col.name_en", lang): [term.en for term in vocab.terms],
                }
            ),
            hide_index=True,
            width="stretch",
        )
programmes = ui.labels().query("dimension == 'programme'")
if not programmes.empty:
    st.subheader(t("kind.programmes", lang))
    st.dataframe(
        pd.DataFrame(
            {
                t("col.code", lang): programmes["code"],
                t("filter.programme", lang): programmes[f"name_{lang}"],  # the release's columns name_zh, name_en
                t("col.note", lang): programmes[f"description_{lang}"],
            }
        ),
        hide_index=True,
        width="stretch",
    )

st.header(t("about.methodology", lang))
st.write(t("about.methodology_body", lang))

st.header(t("about.privacy", lang))
st.markdown(t("about.privacy_kept", lang))
st.markdown(t("about.privacy_published", lang))
st.markdown(t("about.privacy_headlines", lang))
st.markdown(t("about.privacy_k", lang, k=ctx.k, k_minus=ctx.k - 1))
st.markdown(t("about.privacy_method", lang))

st.header(t("about.releases", lang))
history, batches, corrections = ui.history()
st.dataframe(
    pd.DataFrame(
        {
            t("col.release", lang): history["id"],
            t("col.created_at", lang): history["created_at"].astype(str).str[:16],
            t("col.as_of", lang): [formatting.date(d, lang) for d in history["as_of"]],
            t("col.k", lang): history["k"],
            t("col.sample", lang): history["is_sample"].map({True: "✓", False: ""}),
        }
    ),
    hide_index=True,
    width="stretch",
)
st.subheader(t("about.batches", lang))
st.dataframe(  # what was loaded, when and how much; never a staff file's own name
    pd.DataFrame(
        {
            t("col.kind", lang): [t(f"kind.{k}", lang) for k in batches["kind"]],
            t("col.loaded_on", lang): [formatting.date(pd.Timestamp(d).date(), lang) for d in batches["loaded_at"]],
            **{
                t(f"col.{c}", lang): [formatting.number(v, lang, 0) for v in batches[c]]
                for c in ("rows", "loaded", "rejected")
            },
            t("col.checksum", lang): batches["sha256"].str[:12],
        }
    ),
    hide_index=True,
    width="stretch",
)
st.subheader(t("about.corrections", lang))
if corrections.empty:
    st.write(t("about.no_corrections", lang))
else:
    st.dataframe(corrections, hide_index=True, width="stretch")

st.header(t("about.licence", lang))
st.markdown(t("about.licence_body", lang))
st.write(t("about.cite", lang))
st.code(t("about.citation", lang, release=ctx.release.id, as_of=ctx.release.as_of.isoformat()), language=None)
