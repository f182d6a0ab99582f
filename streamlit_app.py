"""open-figures portal: the router. Language, pages and shared chrome; pages only lay out."""

from pathlib import Path

import streamlit as st

from portal import ui
from portal.i18n import t

ROOT = Path(__file__).parent
PAGES = (
    ("overview", ":material/dashboard:"),
    ("funds_raised", ":material/savings:"),
    ("disbursed_by_stage", ":material/school:"),
    ("children_served", ":material/child_care:"),
    ("volunteers", ":material/volunteer_activism:"),
    ("find", ":material/search:"),
    ("board", ":material/groups:"),
    ("receipt", ":material/receipt_long:"),
    ("open_data", ":material/api:"),
    ("about", ":material/info:"),
)

# Tests open another page first by running this file with PORTAL_DEFAULT_PAGE set (runpy).
default = globals().get("PORTAL_DEFAULT_PAGE", PAGES[0][0])
lang = ui.language()
st.set_page_config(page_title=t("app.title", lang), page_icon=":material/volunteer_activism:", layout="wide")
pages = ui.navigation_pages(
    (str(ROOT), lang, default),
    lambda: {
        key: st.Page(
            ROOT / "pages" / f"{key}.py",
            title=t(f"nav.{key}", lang),
            icon=icon,
            url_path=key if key != PAGES[0][0] else "home",  # the overview is "/"; "/overview" below
            default=key == default,
        )
        for key, icon in PAGES
    },
)
# the overview lives at "/"; "/overview" (every other page is at its name) leads there too,
# with the link's parameters, instead of a "Page not found" dialog
alias = st.Page(lambda: None, title=t("nav.overview", lang), url_path="overview", visibility="hidden")
page = st.navigation([*pages.values(), alias])
if page is alias:
    st.switch_page(pages["overview"], query_params=st.query_params.to_dict())
st.set_page_config(page_title=f"{page.title} · {t('app.title', lang)}")  # each tab says which page it is
ui.run_guarded(page, next(key for key, p in pages.items() if p is page))
