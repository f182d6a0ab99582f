"""The receipt page's Streamlit side: who the visitor is (a random id their browser keeps in a
cookie) and the deployment's receipt key. The checks and their limit: ``portal.receipts``."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

import streamlit as st

from portal import pseudonym, receipts
from portal.settings import get_settings
from portal.ui import store

log = logging.getLogger("portal.ui")

VISITOR_COOKIE = "open_figures_visitor"
_VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{32}")


def _receipt_key() -> bytes | None:
    """Read per check (a few bytes), never cached: a key kept in a cache outlives its rotation."""
    try:
        return pseudonym.load_key(get_settings(), receipt=True)
    except pseudonym.BadKeyError as exc:
        log.error("receipt key %s unusable (%s): receipt checks are off", exc.where, exc.args[0])
        return None
    except pseudonym.MissingKeyError:
        return None


def receipt_checks_available() -> bool:
    return _receipt_key() is not None


def _visitor() -> str:
    """The visitor's id: the one their browser holds in a cookie (set by ``remember_visitor``),
    else a new random one for this session. Only its HMAC is kept, in memory."""
    try:
        cookie = st.context.cookies.get(VISITOR_COOKIE)
    except Exception:  # outside a browser session (AppTest)
        cookie = None
    if isinstance(cookie, str) and _VISITOR_ID.fullmatch(cookie):  # what a browser sends is checked
        st.session_state["_visitor"] = cookie
    if "_visitor" not in st.session_state:
        st.session_state["_visitor"] = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]
    return st.session_state["_visitor"]


def remember_visitor() -> None:
    """The browser keeps the visitor's id for a day, so the receipt checks left survive a reload
    (they were per session: a reload gave five more). The cookie holds a random id, nothing else."""
    cookie = f"{VISITOR_COOKIE}={_visitor()}; path=/; max-age=86400; SameSite=Strict"
    st.sidebar.html(f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True)


def receipt_checks_left() -> int:
    return receipts.checks_left(store.attempt_log(), _visitor(), time.monotonic())


def check_receipt(receipt_no: str, amount: str) -> receipts.Outcome:
    """One check by this visitor (``receipts.check``)."""
    return receipts.check(
        attempts=store.attempt_log(),
        visitor=_visitor(),
        now=time.monotonic(),
        receipt_no=receipt_no,
        amount=amount,
        key=_receipt_key,
        engine=store.engine(store.url()),
    )
