"""查数据 Find a figure: search the release's cells by figure, programme, period and region in
Chinese or English; each result with its value, unit, definition, as-of, release, withheld
reason, permalink and a citation to copy; the whole release as CSV, XLSX and JSON."""

import streamlit as st

from portal import lookup, params, ui
from portal.i18n import t

ctx = ui.context()
lang = ctx.lang
st.title(t("nav.find", lang))
st.caption(t("find.intro", lang))

index = ui.lookup_index()
linked = lookup.CellKey.from_params({k: st.query_params.get(k) for k in st.query_params})
release_id = st.query_params.get("release")


def show(found: lookup.Index, key: lookup.CellKey) -> None:
    shown = found.describe(key, lang, base=ui.base_url())
    with st.container(border=True):
        # labels come from the release's data, the link's host from the visitor's request:
        # both are shown as text, never read as markdown
        head = " · ".join(params.escape_markdown(shown[k]) for k in ("scope", "period"))
        st.markdown(f"**{params.escape_markdown(shown['figure'])}** · {head}")
        st.metric(shown["figure"], shown["value"], label_visibility="collapsed")
        if shown["withheld"]:
            st.caption(shown["withheld"])
        st.caption(
            t("find.meta", lang, unit=shown["unit"], as_of=shown["as_of"], release=shown["release"])
            + " · "
            + shown["definition"]
        )
        st.markdown(f"[{t('find.permalink', lang)}]({params.markdown_url(shown['url'])})")
        with st.expander(t("find.cite", lang)):
            for other in ("zh", "en"):
                st.code(found.describe(key, other, base=ui.base_url())["citation"], language=None, wrap_lines=True)


if linked is not None:
    found = ui.lookup_index(release_id) if release_id else index
    if found is None:
        st.info(t("find.unknown_release", lang))
        found = index
    if found.get(linked) is None:
        st.info(t("find.not_found", lang))
    else:
        st.header(t("find.linked", lang))
        show(found, linked)

if "w_find_q" not in st.session_state:
    st.session_state["w_find_q"] = (st.query_params.get("q") or "")[:200]
query = st.text_input(t("find.search", lang), key="w_find_q", placeholder=t("find.placeholder", lang), max_chars=200)
if query.strip():
    st.query_params["q"] = query
    hits = index.search(query, limit=ui.FIND_RESULTS)
    if not hits:
        st.info(t("find.no_results", lang))
    else:
        st.caption(t("find.results", lang, n=len(hits)))
        for hit in hits:
            show(index, hit.key)

st.header(t("find.whole_release", lang))
st.caption(t("find.whole_release_note", lang, release=ctx.release.id))
ui.release_downloads()
