"""Names from staff files are text, never markup: a programme or county named like markdown,
a Streamlit colour directive, KaTeX or an image reaches every page as the characters typed
(escaped for Streamlit's markdown), so a visitor's browser never fetches what a name points
at and no name restyles a page. Every page, every programme and all, in both languages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from portal.db import make_engine
from portal.settings import get_settings
from tests.page_fixtures import PROGRAMMES, REGIONS, build
from tests.test_pages import elements, open_page

# each is markup Streamlit's markdown would act on, if a name were passed to it as it is
MARKUP = (
    "![x](http://attacker.example/p.png)",
    ":red[红色项目]",
    "**粗体** _斜体_",
    "$x^2$ 公式",
    "<img src=x onerror=alert(1)>",
    "[点我](http://attacker.example)",
)
# the part of each that must never reach a markdown body as typed (its first character not
# backslash-escaped)
LIVE = [re.compile(r"(?<!\\)" + re.escape(part)) for part in ("![x](", ":red[", "**粗体**", "$x^2$", "<img", "[点我](")]


def _live(texts: list[str]) -> list[tuple[str, str]]:
    return [(pattern.pattern, body[:160]) for body in texts for pattern in LIVE if pattern.search(body)]


PAGES = (
    "overview",
    "funds_raised",
    "disbursed_by_stage",
    "children_served",
    "volunteers",
    "board",
    "find",
    "about",
)
# the elements Streamlit renders as markdown, and the fields of each that are markdown
MARKDOWN_FIELDS = ("body", "label", "help", "delta_description", "placeholder")


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    store = build(tmp_path_factory.mktemp("markup") / "portal.db", seed=11)
    engine = make_engine(store.url)
    names = [*PROGRAMMES, *REGIONS]
    with engine.begin() as connection:
        for i, code in enumerate(names):
            zh, en = MARKUP[i % len(MARKUP)], MARKUP[(i + 1) % len(MARKUP)]
            connection.execute(
                text("UPDATE label SET name_zh = :zh, name_en = :en WHERE code = :code"),
                {"zh": zh, "en": en, "code": code},
            )
    return store


@pytest.fixture
def use_hostile(hostile_store, monkeypatch):
    monkeypatch.setenv("PORTAL_PUBLISHED_URL", hostile_store.url)
    get_settings.cache_clear()
    yield hostile_store
    get_settings.cache_clear()


def _markdown_texts(at) -> list[str]:
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            for field, value in proto.ListFields():
                if field.name in MARKDOWN_FIELDS and isinstance(value, str):
                    out.append(value)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("programme", ["all", PROGRAMMES[0], PROGRAMMES[1]])
@pytest.mark.parametrize("page", PAGES)
def test_names_reach_every_page_as_text(use_hostile, page, programme, lang):
    extra = {"q": "TP"} if page == "find" else {}
    at = open_page(page, lang=lang, programme=programme, ptype="year", period="2023", **extra)
    assert not at.exception, [e.value for e in at.exception]
    texts = _markdown_texts(at)
    assert texts
    live = _live(texts)
    assert not live, live
    if programme != "all" and page not in ("find", "about"):
        # the name is there, escaped: shown as typed, not dropped
        assert any("\\!\\[x\\]" in body or "\\*\\*" in body or "\\:red\\[" in body or "\\$" in body for body in texts)


def test_projector_names_are_text(use_hostile):
    at = open_page("board", lang="en", programme=PROGRAMMES[0], ptype="year", period="2023", projector="1")
    assert not at.exception
    for _ in range(len(elements(at, "button")) and 12):
        live = _live(_markdown_texts(at))
        assert not live, live
        at.button(key="slide_next").click().run()
