"""What every page has around its own content: the guard that turns a failure into a friendly
message, the empty store's page, the view settled (``filters``) and kept for the page, the
page's style and language, the as-of line and its notices (sample, stale data, coverage)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from collections.abc import Callable

import streamlit as st

from portal import charts, formatting, params, pseudonym
from portal.coverage import ACTIVE_DAYS, families_text
from portal.i18n import LANG_TAGS, t
from portal.settings import get_settings
from portal.ui import filters, store
from portal.ui.board import projector_on
from portal.ui.state import Context, context, markdown_text, present
from portal.ui.style import PAGE_CSS

log = logging.getLogger("portal.ui")

STALE_AFTER_DAYS = ACTIVE_DAYS  # charities disclose progress at least every three months


_PAGES = store.Shared(16)


def navigation_pages(key: tuple, build: Callable[[], dict]) -> dict:
    """The router's ``st.Page`` objects, built once per ``key`` (language, default page) and
    copied for each run: each ``st.Page`` resolves its file's path on the disk (a dozen
    system calls), ten pages on every page view. A copy, as ``st.navigation`` marks the page
    it returns as runnable and running it unmarks it, per session."""
    return {name: copy.copy(page) for name, page in _PAGES.get(key, build).items()}


def run_guarded(page, key: str) -> None:
    """Draw the chrome, then the page; an exception becomes a friendly message, never a
    traceback (st.stop/rerun are BaseExceptions and pass through)."""
    try:
        if _untrusted():
            return
        if chrome(key) is not None:
            page.run()
    except store.StoreUnavailable:
        from portal.cli import _safe_url

        log.error("published store %s unreadable", _safe_url(store.url()), exc_info=True)
        st.error(t("app.unavailable", st.session_state.get("w_lang", "zh")))
    except Exception:
        log.exception("page failed")
        st.error(t("app.error", st.session_state.get("w_lang", "zh")))


def _untrusted() -> bool:
    """A release built under a key this deployment does not trust is not shown at all (the
    server refuses to start on one; this covers a store swapped while it runs)."""
    release = store.release(store.url())
    if release is None or not pseudonym.untrusted_release(release.key_fingerprint, get_settings()):
        return False
    log.error("refusing release %s: key fingerprint %s is not trusted", release.id, release.key_fingerprint)
    st.error(t("app.untrusted", st.session_state.get("w_lang", "zh")))
    return True


def chrome(page: str) -> Context | None:
    """The filters bound to the URL, the as-of line and the notices; None when there is
    nothing published yet (the friendly empty page is drawn)."""
    lang = st.session_state.get("w_lang", "zh")
    release = store.release(store.url())
    if release is None:
        empty_store(lang)
        return None
    return _settle(filters.read(page, release, lang))


def _settle(ctx: Context) -> Context:
    """The view's context kept for the page, its URL written, the page's style and notices."""
    filters.write_params(ctx)
    st.session_state["_portal_ctx"] = ctx
    # in the sidebar: the pages' own area carries no script at all (what a hostile link might
    # inject is looked for there), and the style applies to the whole page wherever it sits
    st.sidebar.html(PAGE_CSS + _page_language(ctx.lang), unsafe_allow_javascript=True)
    if not (ctx.page == "board" and projector_on()):  # a slide has the as-of in its bar
        _banners(ctx)
    return ctx


def _page_language(lang: str) -> str:
    """A script giving the page its language, for screen readers and the browser (Streamlit
    writes lang="en" and an English skip link whatever the page says)."""
    skip = json.dumps(t("app.skip_to_content", lang))
    # a block, so that the script can run again on every rerun without redeclaring its names
    return (
        f"<script>{{ document.documentElement.lang = {json.dumps(LANG_TAGS[lang])};"
        f"const skip = document.querySelector('[data-testid=\"stSkipToContent\"]');"
        f"if (skip) skip.textContent = {skip}; }}</script>"
    )


def _banners(ctx: Context) -> None:
    """One banner at most: sample data says so (its dates are made up, so it is never called
    stale); real data more than three months old says that."""
    release = ctx.release
    as_of = formatting.date(release.as_of, ctx.lang)
    if release.is_sample:
        st.warning(t("notice.sample", ctx.lang), icon=":material/science:")
    elif (dt.date.today() - release.as_of).days > STALE_AFTER_DAYS:
        st.warning(t("notice.stale", ctx.lang, as_of=as_of), icon=":material/schedule:")
    st.caption(t("notice.as_of", ctx.lang, as_of=as_of, release=release.id, k=release.k))


def empty_store(lang: str) -> None:
    st.title(t("empty.title", lang))
    st.write(t("empty.body", lang))
    st.code(t("empty.steps", lang), language="bash")


def page_top(title_key: str) -> dict | None:
    """A page's title and, where a county is chosen, the notice that the page shows it; returns
    the county filter its views apply (or None)."""
    ctx = context()
    st.title(t(title_key, ctx.lang))
    if not ctx.region:
        return None
    st.caption(t("notice.region_breakdown", ctx.lang, region=markdown_text(ctx.region_name())))
    return {"region": ctx.region}


def coverage_notes(figures, *, period: str | None = None) -> bool:
    """What a page says about the view before its figures: in one line, what the programme
    does not do where some of the page's figures are not its; for all programmes, which
    programmes have not reported for the period yet. False when the page has nothing to show."""
    ctx = context()
    if len(present(figures)) < len(tuple(figures)):
        line = families_text(ctx.families(), ctx.lang, programme=ctx.programme)
        if line:
            st.info(line, icon=":material/info:")
    period = period or ctx.period
    if ctx.programme == "all":
        waiting = ctx.coverage.pending(period)
        if waiting:
            items = [
                t(
                    "coverage.pending_item",
                    ctx.lang,
                    name=params.escape_markdown(charts.label("programme", p, ctx.lang, ctx.names)),
                    as_of=formatting.date(ctx.coverage.last_day(p), ctx.lang),
                )
                for p in waiting
            ]
            separator = t("coverage.item_separator", ctx.lang)
            st.info(t("coverage.pending", ctx.lang, period=ctx.period_name(period), programmes=separator.join(items)))
    elif (last := ctx.coverage.last_day(ctx.programme)) and last < ctx.release.as_of:
        st.caption(t("coverage.programme_as_of", ctx.lang, as_of=formatting.date(last, ctx.lang)))
    return bool(present(figures))
