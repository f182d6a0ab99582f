"""The Find, Board and receipt pages through the router (AppTest) on a random published store:
results and permalinks show the store's cells, the board's headlines are the store's cells
against the prior period, projector mode is bound to the URL, and the receipt check finds
planted gifts, refuses wrong amounts with the same answer as an unknown receipt, and stops
after five attempts. Expectations come from the store; no value is typed in."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import insert

from portal import board, board_sections, charts, formatting, lookup, periods, queries, receipts
from portal.figures import BY_KEY
from portal.i18n import LANGS, t
from portal.models.published import Receipt
from portal.settings import get_settings
from tests.page_fixtures import PROGRAMMES, build
from tests.test_pages import elements, open_downloads, open_page

GIFTS = [("NO-2023-000101", 20000), ("NO-2023-000102", 8850), ("ＮＯ-2023-000103", 1)]  # (receipt no, fen)


@pytest.fixture(scope="module")
def press_store(tmp_path_factory):
    store = build(tmp_path_factory.mktemp("press") / "portal.db", seed=17)
    key = secrets.token_hex(32)
    engine = store.engine.execution_options()
    from portal.db import make_engine

    writer = make_engine(store.url)
    all_periods = queries.periods(engine=engine, release_id=store.release_id)
    months = sorted(p for p in all_periods if periods.period_type(p) == "month")
    with writer.begin() as connection:
        connection.execute(
            insert(Receipt),
            [
                {
                    "digest": receipts.digest(key.encode(), number, fen),
                    "programme": PROGRAMMES[i % 2],
                    "month": months[-1 - i],
                    "release_id": store.release_id,
                }
                for i, (number, fen) in enumerate(GIFTS)
            ],
        )
    writer.dispose()
    return store, key, months


@pytest.fixture
def use_press(press_store, monkeypatch):
    store, key, months = press_store
    monkeypatch.setenv("PORTAL_PUBLISHED_URL", store.url)
    monkeypatch.setenv("PORTAL_RECEIPT_KEY", key)
    get_settings.cache_clear()
    yield store, months
    get_settings.cache_clear()


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# ---------------------------------------------------------------- find


@pytest.mark.parametrize("lang", LANGS)
def test_find_results_are_store_cells(use_press, lang):
    store, _ = use_press
    engine = store.engine
    release = queries.current_release(engine=engine)
    index = lookup.Index(
        queries.cells(engine=engine, release_id=release.id),
        queries.labels(engine=engine, release_id=release.id),
        release,
    )
    text = f"{BY_KEY['funds_disbursed'].name(lang)} 2023"
    at = open_page("find", lang=lang, q=text)
    _ok(at)
    assert at.title[0].value == t("nav.find", lang)
    expected = [index.describe(h.key, lang)["value"] for h in index.search(text, limit=20)]
    shown = [m.value for m in at.metric]
    assert shown == expected and shown
    assert at.query_params["q"] == text
    # citations in both languages with their permalinks, one pair per result
    citations = [c.value for c in at.code]
    assert len(citations) == 2 * len(expected)
    for citation in citations:
        key, release_id, _ = lookup.parse_permalink(citation.split()[-1])
        assert release_id == release.id and index.get(key) is not None
    # the whole release, three ways
    labels = {b.proto.label for b in elements(at, "download_button")}
    assert {t(f"download.{k}", lang) for k in ("csv", "xlsx", "json")} <= labels


@pytest.mark.parametrize("lang", LANGS)
def test_a_permalink_reopens_its_cell(use_press, lang):
    store, _ = use_press
    engine = store.engine
    release = queries.current_release(engine=engine)
    cells = queries.cells(engine=engine, release_id=release.id)
    for status in ("published", "withheld"):
        row = cells[(cells["status"] == status) & cells["stage"].notna()].iloc[0].to_dict()
        key = lookup.CellKey.of(row)
        link = lookup.permalink(key, release_id=release.id, lang=lang)
        params = dict(__import__("urllib.parse").parse.parse_qsl(link.split("?", 1)[1]))
        at = open_page("find", **params)
        _ok(at)
        assert not at.info, [i.value for i in at.info]  # no "unknown parameter" notice
        assert at.metric[0].value == formatting.cell(
            row["figure"], row["value"], row["status"], lang, release.k, reason=row["reason"]
        )
        captions = " ".join(c.value for c in at.caption)
        if status == "withheld":
            assert formatting.reason(row["reason"], lang, release.k) in captions
        assert dict(at.query_params) == params | {"lang": lang}


def test_a_permalink_to_nothing_says_so(use_press):
    at = open_page("find", lang="en", figure="funds_raised", programme="NOPE", period="2023", release="x" * 80)
    _ok(at)
    infos = " ".join(i.value for i in at.info)
    assert t("find.unknown_release", "en") in infos and t("find.not_found", "en") in infos
    assert "x" * 80 not in infos


def test_no_results_is_said_plainly(use_press):
    at = open_page("find", lang="zh", q="qqqq zzzz")
    _ok(at)
    assert t("find.no_results", "zh") in [i.value for i in at.info]


# ---------------------------------------------------------------- board


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("programme", ["all", PROGRAMMES[0]])
def test_board_headlines_are_store_cells(use_press, lang, programme):
    store, _ = use_press
    engine = store.engine
    all_periods = queries.periods(engine=engine, release_id=store.release_id)
    quarter = max(p for p in all_periods if periods.period_type(p) == "quarter")
    at = open_page("board", lang=lang, programme=programme, period=quarter)
    _ok(at)
    cells = queries.cells(engine=engine, release_id=store.release_id, programme=programme)
    prior = periods.previous(quarter)
    shown = {m.label: (m.value, m.proto.body) for m in at.metric}
    for figure in board.HEADLINES:
        now = charts.select(cells, figure, quarter)
        if now.empty:
            continue
        value, _delta = shown[BY_KEY[figure].name(lang)]
        cell = now.iloc[0]
        assert value == formatting.cell(figure, cell["value"], cell["status"], lang, store.k, reason=cell["reason"])
    # the period compared with is named under every change; the stage table and the charts are there
    since = t("board.since_prior_short", lang, period=formatting.period(prior, lang))
    deltas = [m.proto for m in at.metric if m.proto.delta]
    assert deltas and all(d.delta_description == since for d in deltas)
    assert elements(at, "vega_lite_chart")
    assert open_downloads(at)  # each chart's downloads draw their buttons once opened
    labels = {b.proto.label for b in elements(at, "download_button")}
    assert t("board.pack_button", lang) in labels
    assert {t("download.png", lang), t("download.svg", lang)} <= labels


def test_board_of_a_month_shows_its_quarter(use_press):
    store, _ = use_press
    all_periods = queries.periods(engine=store.engine, release_id=store.release_id)
    month = max(p for p in all_periods if periods.period_type(p) == "month")
    quarter = next(q for q in all_periods if periods.period_type(q) == "quarter" and month in periods.children_of(q))
    at = open_page("board", lang="en", period=month)
    _ok(at)
    assert t("board.pick_period", "en", period=formatting.period(quarter, "en")) in [i.value for i in at.info]


def test_projector_mode_is_bound_to_the_url(use_press):
    at = open_page("board", lang="zh", period="2023", projector="1")
    _ok(at)
    assert at.query_params["projector"] == "1" and at.query_params["slide"] == "1"
    assert any("stSidebar" in h.proto.body for h in elements(at, "html"))  # the projector style is on
    assert not at.warning  # the banners are not drawn over a slide (its bar carries the as-of)
    at.button(key="slide_next").click().run()
    _ok(at)
    assert at.query_params["slide"] == "2"
    at.button(key="projector_exit").click().run()
    _ok(at)
    assert "projector" not in at.query_params and "slide" not in at.query_params
    assert at.button(key="projector_enter")  # back on the board page, with the way in
    at.button(key="projector_enter").click().run()
    _ok(at)
    assert at.query_params["projector"] == "1"


def test_projector_screens_all_draw(use_press):
    store, _ = use_press
    at = open_page("board", lang="en", period="2023", projector="1")
    view = board.build(store.engine, period="2023", programme="all", release_id=store.release_id)
    total = len(board_sections.slides(view, "en"))
    seen = set()
    for n in range(1, total + 1):
        _ok(at)
        assert t("board.slide", "en", n=n, total=total) in [m.value for m in at.markdown]
        seen.add(at.query_params["slide"])
        at.button(key="slide_next").click().run()
    assert at.query_params["slide"] == "1"  # past the last: the first again
    assert len(seen) == total >= 4


# ---------------------------------------------------------------- receipts


def _check(at, number: str, amount: str):
    at.text_input(key="w_receipt_no").set_value(number)
    at.text_input(key="w_receipt_amount").set_value(amount)
    at.button[0].click().run()
    _ok(at)
    return at


@pytest.mark.parametrize("lang", LANGS)
def test_planted_gifts_are_found(use_press, lang):
    store, months = use_press
    at = open_page("receipt", lang=lang)
    _ok(at)
    for i, (number, fen) in enumerate(GIFTS):
        amount = f"{fen // 100}.{fen % 100:02d}"
        _check(at, number.lower() if i == 0 else number, amount)
        programme = PROGRAMMES[i % 2]
        names = queries.labels(engine=store.engine, release_id=store.release_id)
        name = names[(names.dimension == "programme") & (names.code == programme)].iloc[0]
        expected = t(
            "receipt.found",
            lang,
            programme=name.name_zh if lang == "zh" else name.name_en,
            month=formatting.period(months[-1 - i], lang),
            release=store.release_id,
        )
        assert [s.value for s in at.success] == [expected]


def test_wrong_amount_and_unknown_receipt_get_the_same_answer(use_press):
    at = open_page("receipt", lang="zh")
    number, fen = GIFTS[0]
    answers = []
    for no, amount in ((number, f"{fen / 100 + 0.01:.2f}"), ("NO-0000-999999", f"{fen / 100:.2f}")):
        _check(at, no, amount)
        assert not at.success
        answers.append([i.value for i in at.info])
    assert answers[0] == answers[1] == [[t("receipt.not_found", "zh")][0]]


def test_attempts_are_limited_per_visitor(use_press):
    at = open_page("receipt", lang="en")
    number, fen = GIFTS[1]
    for attempt in range(receipts.ATTEMPTS):
        _check(at, "NO-0000-000000", "1")
        left = receipts.ATTEMPTS - attempt - 1
        if left == 1:  # "1 check left", not "1 checks left"
            assert t("receipt.attempts_left_one", "en") in [c.value for c in at.caption]
    _check(at, number, f"{fen / 100:.2f}")  # even the right amount is refused now
    assert not at.success
    assert [w.value for w in at.warning if "minutes" in w.value]


def test_invalid_amounts_are_explained_and_not_counted(use_press):
    at = open_page("receipt", lang="en")
    for amount in ("", "abc", "-5", "1.234", "0"):
        _check(at, "NO-2023-000101", amount)
        assert t("receipt.invalid", "en") in [i.value for i in at.info]
    number, fen = GIFTS[0]
    _check(at, number, f"{fen / 100:.2f}")
    assert at.success


def test_without_a_receipt_key_the_page_says_checks_are_off(press_store, monkeypatch, tmp_path):
    store, _, _ = press_store
    monkeypatch.setenv("PORTAL_PUBLISHED_URL", store.url)
    monkeypatch.delenv("PORTAL_RECEIPT_KEY", raising=False)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    at = open_page("receipt", lang="zh")
    _ok(at)
    assert t("receipt.unavailable", "zh") in [i.value for i in at.info]
    assert not at.text_input
    get_settings.cache_clear()
