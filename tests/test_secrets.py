"""Secrets: the pseudonym key and the receipt key never reach a log, a page, an error message,
a rejects file, a download or either store; and a portal refuses a published store built under
a key it does not know, saying why."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.loadtest import page_view
from loaders import KINDS
from portal import pseudonym
from portal.i18n import LANGS, t
from portal.serve import check, refusal
from portal.settings import Settings, get_settings
from tests import test_pages
from tests.conftest import ROOT, new_deployment
from tests.factories import random_raw
from tests.test_browser import serve_portal
from tests.test_pages import PAGES, elements, open_page

page_store, use_store = test_pages.page_store, test_pages.use_store  # the page tests' fixtures
STRANGER = pseudonym.fingerprint(b"a key nobody here has ever used")


def portal(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def start_server(env: dict) -> subprocess.CompletedProcess:
    """``python -m portal.serve`` on a port it cannot take: what it says before it would serve."""
    return subprocess.run(
        [sys.executable, "-m", "portal.serve", "--server.headless", "true", "--server.port", "1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def leaks(texts: list[str], folders: list[Path], needles: list[str]) -> list[str]:
    """Where any needle occurs: in the texts, or in the bytes of any file under the folders."""
    found = [f"text #{i}" for i, text in enumerate(texts) for needle in needles if needle in text]
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                found += [str(path) for needle in needles if needle.encode() in data]
    return found


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    """A deployment run through the command line with both keys set, every output kept."""
    root = tmp_path_factory.mktemp("secrets")
    deployment = new_deployment(root / "data")
    receipt_key = secrets.token_hex(32)
    env = {**deployment.env(), "PORTAL_RECEIPT_KEY": receipt_key, "PORTAL_LANG": "en"}
    raw = root / "raw"
    raw.mkdir()
    outputs: list[str] = []

    def keep(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
        outputs.extend((done.stdout, done.stderr))
        return done

    frames = random_raw(3)
    for kind in KINDS:
        path = raw / f"{kind}.csv"
        frames[kind].to_csv(path, index=False)
        assert keep(portal(env, "load", kind, str(path))).returncode == 0, outputs[-1]
    junk = raw / "junk.xlsx"
    junk.write_bytes(os.urandom(4096))
    assert keep(portal(env, "load", "donations", str(junk))).returncode != 0
    wrong = {**env, "PORTAL_PSEUDONYM_KEY": secrets.token_hex(32)}
    assert keep(portal(wrong, "load", "children", str(raw / "children.csv"))).returncode != 0
    assert keep(portal(env, "publish", "--k", "5")).returncode == 0, outputs[-1]
    assert keep(portal(env, "figures", "--format", "json")).returncode == 0, outputs[-1]
    for lang in LANGS:
        keep(portal({**env, "PORTAL_LANG": lang}, "--lang", lang, "load", "children", str(raw / "missing.csv")))
    return SimpleNamespace(
        deployment=deployment,
        env=env,
        root=root,
        outputs=outputs,
        needles=[deployment.key.decode(), receipt_key],
    )


def test_the_scan_finds_a_planted_key(keyed, tmp_path):
    """Positive control: the same scan sees a key in a text and in a file."""
    needle = keyed.needles[1]
    (tmp_path / "planted.log").write_text(f"oops {needle}\n")
    assert leaks([f"x{needle}x"], [tmp_path], [needle]) == ["text #0", str(tmp_path / "planted.log")]


def test_keys_are_in_no_output_store_or_file(keyed):
    assert any(keyed.outputs), "the command line said nothing at all"
    assert leaks(keyed.outputs, [keyed.root], keyed.needles) == []


def test_keys_are_in_no_page_or_server_log(keyed, tmp_path):
    """A real server with both keys in its environment and Streamlit logging at debug: every
    page in both languages, its text and the server's log, scanned."""
    log = tmp_path / "server.log"
    env = {**keyed.env, "STREAMLIT_LOGGER_LEVEL": "debug"}
    drawn: list[str] = []
    with serve_portal(keyed.deployment.settings.published_store_url, env=env, log=log) as base:
        for page in PAGES:
            for lang in LANGS:
                asyncio.run(page_view(base, "" if page == "overview" else page, f"lang={lang}", 60, elements=drawn))
    release = get_release_id(keyed)
    assert any(release in text for text in drawn), "the pages drew nothing of the release"
    assert log.stat().st_size > 0
    assert leaks(drawn, [tmp_path], keyed.needles) == []


def get_release_id(keyed) -> str:
    from portal import queries

    return queries.current_release(engine=keyed.deployment.published).id


@pytest.mark.parametrize("lang", LANGS)
def test_serve_refuses_a_store_built_under_an_unknown_key(keyed, tmp_path, lang):
    env = {
        **keyed.env,
        "PORTAL_DATA_DIR": str(tmp_path),  # this host has no key of its own
        "PORTAL_KEY_FINGERPRINTS": STRANGER,
        "PORTAL_LANG": lang,
    }
    del env["PORTAL_PSEUDONYM_KEY"]
    done = start_server(env)
    assert done.returncode == 3
    message = done.stderr
    stored = pseudonym.fingerprint(keyed.deployment.key)
    assert get_release_id(keyed) in message and stored in message and STRANGER in message
    assert "PORTAL_KEY_FINGERPRINTS" in message and "Traceback" not in message
    assert ("拒绝启动" if lang == "zh" else "Refusing to start") in message
    assert leaks([done.stdout, message], [], keyed.needles) == []


def test_trust_comes_from_a_fingerprint_or_the_local_key(keyed, tmp_path):
    settings = keyed.deployment.settings
    url = settings.published_store_url
    stored = pseudonym.fingerprint(keyed.deployment.key)
    # the fingerprint alone (a portal host without the key)
    assert refusal(Settings(data_dir=tmp_path, published_url=url, key_fingerprints=f"{STRANGER}, {stored}")) is None
    # the local key alone
    assert refusal(Settings(data_dir=tmp_path, published_url=url, pseudonym_key=keyed.deployment.key.decode())) is None
    # neither: refused
    assert refusal(Settings(data_dir=tmp_path, published_url=url, key_fingerprints=STRANGER))
    # an empty store is not refused: the portal's empty page explains what to do
    assert refusal(Settings(data_dir=tmp_path, published_url=f"sqlite:///{tmp_path / 'none.db'}")) is None


@pytest.mark.parametrize("page", PAGES)
def test_a_page_shows_nothing_of_an_untrusted_release(use_store, monkeypatch, tmp_path, page):
    """A store swapped under a running portal: the page says so and draws no figure."""
    monkeypatch.setenv("PORTAL_KEY_FINGERPRINTS", STRANGER)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PORTAL_PSEUDONYM_KEY", raising=False)
    get_settings.cache_clear()
    at = open_page(page, lang="en")
    assert not at.exception
    assert [e.value for e in at.error] == [t("app.untrusted", "en")]
    assert not at.metric and not elements(at, "vega_lite_chart") and not at.dataframe


def test_publish_refuses_a_working_store_under_another_key(keyed, tmp_path):
    """A working store built under key B cannot add a release to a published store whose
    releases came from key A: refused before anything is written, in the user's language."""
    from portal import queries
    from tests.conftest import load_frames
    from tests.factories import random_raw

    other = new_deployment(tmp_path / "other")  # its own, different key
    load_frames(other, random_raw(2, children=20, disbursements=40, donations=30, records=40), tmp_path / "raw")
    before = [r.id for r in queries.releases(engine=keyed.deployment.published)]
    env = {**other.env(), "PORTAL_PUBLISHED_URL": keyed.deployment.settings.published_store_url}
    for lang, words in (("en", "Refusing to publish"), ("zh", "拒绝发布")):
        done = portal(env, "--lang", lang, "publish")
        assert done.returncode == 2, done.stderr
        assert words in done.stderr and "Traceback" not in done.stderr
        assert pseudonym.fingerprint(keyed.deployment.key) in done.stderr
    assert [r.id for r in queries.releases(engine=keyed.deployment.published)] == before


def test_a_newer_untrusted_release_is_passed_over(use_store, monkeypatch):
    """A release under an unknown key lands on top of trusted ones (a store swapped or written
    by hand): the portal keeps showing the last trusted release, and says so to the operator
    when it starts; nothing of the untrusted release is shown."""
    import datetime as dt

    from sqlmodel import Session

    from portal.db import make_engine
    from portal.models.published import Release

    engine = make_engine(use_store.url)
    with Session(engine) as session:
        session.add(
            Release(
                id="2099-01-01.1",
                created_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
                as_of=dt.date(2098, 12, 31),
                k=5,
                is_sample=False,
                note="not ours",
                key_fingerprint=STRANGER,
            )
        )
        session.commit()
    try:
        at = open_page("overview", lang="en")
        assert not at.exception and not at.error
        captions = " ".join(c.value for c in at.caption)
        assert use_store.release_id in captions and "2099-01-01.1" not in captions
        problem, notice = check(get_settings())
        assert problem is None and "2099-01-01.1" in notice and use_store.release_id in notice
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM release WHERE id = '2099-01-01.1'")


UNREADABLE = {
    "corrupt file": lambda tmp: _garbage(tmp / "portal.db"),
    "server down": lambda tmp: "postgresql+psycopg://postgres@127.0.0.1:1/nothing",
}


def _garbage(path: Path) -> str:
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))  # a header, then noise
    return f"sqlite:///{path}"


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_an_unreadable_store_is_named_so(case, tmp_path, monkeypatch):
    """A published store that exists but cannot be read is not "no data yet": serve refuses to
    start and names the store and why; a running portal tells visitors the figures are
    temporarily unavailable, without the admin's steps."""
    url = UNREADABLE[case](tmp_path)
    env = {**os.environ, "PORTAL_PUBLISHED_URL": url, "PORTAL_DATA_DIR": str(tmp_path), "PORTAL_LANG": "en"}
    done = start_server(env)
    assert done.returncode == 3, done.stderr
    assert "cannot be read" in done.stderr and "Traceback" not in done.stderr
    monkeypatch.setenv("PORTAL_PUBLISHED_URL", url)
    get_settings.cache_clear()
    try:
        at = open_page("overview", lang="en")
        assert not at.exception
        assert [e.value for e in at.error] == [t("app.unavailable", "en")]
        assert t("empty.title", "en") not in [h.value for h in at.title]
    finally:
        get_settings.cache_clear()
