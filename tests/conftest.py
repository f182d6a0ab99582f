"""Shared fixtures: stores in a temporary directory, filled through the real loaders and
publish. ``sample_store`` runs the real ``portal sample`` command once per session."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from loaders import KINDS
from portal import stores
from portal.db import make_engine
from portal.settings import Settings
from tests.keys import trust_key

ROOT = Path(__file__).resolve().parent.parent
LOAD_ORDER = KINDS


@dataclass
class Deployment:
    settings: Settings
    key: bytes

    @property
    def working(self):
        return make_engine(self.settings.working_store_url)

    @property
    def published(self):
        return make_engine(self.settings.published_store_url)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PORTAL_DATA_DIR": str(self.settings.data_dir),
            "PORTAL_PSEUDONYM_KEY": self.key.decode(),
            "PORTAL_WORKING_URL": self.settings.working_store_url,
            "PORTAL_PUBLISHED_URL": self.settings.published_store_url,
        }


POSTGRES_ADMIN_URL = os.environ.get("PORTAL_TEST_POSTGRES_URL")
BACKENDS = ("sqlite", "postgresql")


def require_postgres() -> str:
    """The admin URL of the test PostgreSQL server. Skips on a laptop without one; under
    CI=true (or REQUIRE_POSTGRES) a missing server is a failure, never a skip."""
    if POSTGRES_ADMIN_URL:
        return POSTGRES_ADMIN_URL
    if os.environ.get("CI") == "true" or os.environ.get("REQUIRE_POSTGRES"):
        pytest.fail("PORTAL_TEST_POSTGRES_URL is not set: CI must run the suite against PostgreSQL")
    pytest.skip("no PostgreSQL server (set PORTAL_TEST_POSTGRES_URL, e.g. from .ci/start-postgres)")


def postgres_databases(tag: str) -> tuple[str, str]:
    """Two fresh databases on the test server: a working and a published store."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    admin_url = make_url(require_postgres())
    admin = make_engine(admin_url.render_as_string(hide_password=False)).execution_options(isolation_level="AUTOCOMMIT")
    urls = []
    with admin.connect() as connection:
        for store in ("working", "published"):
            name = f"t_{tag}_{store}"
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            urls.append(admin_url.set(database=name).render_as_string(hide_password=False))
    admin.dispose()
    return urls[0], urls[1]


def new_deployment(data_dir: Path, backend: str = "sqlite") -> Deployment:
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    trust_key(key)
    if backend == "postgresql":
        working_url, published_url = postgres_databases(secrets.token_hex(6))
        settings = Settings(
            data_dir=data_dir, pseudonym_key=key.decode(), working_url=working_url, published_url=published_url
        )
    else:
        settings = Settings(data_dir=data_dir, pseudonym_key=key.decode())
    stores.migrate(make_engine(settings.working_store_url), "working")
    stores.migrate(make_engine(settings.published_store_url), "published")
    return Deployment(settings, key)


def load_frames(deployment: Deployment, frames: dict[str, pd.DataFrame], raw_dir: Path, *, lang: str = "en"):
    """Write each frame as a UTF-8 CSV and load it through the real loader."""
    import loaders

    raw_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    for kind in LOAD_ORDER:
        if kind not in frames:
            continue
        path = raw_dir / f"{kind}.csv"
        frames[kind].to_csv(path, index=False)
        results[kind] = loaders.load_file(kind, path, engine=deployment.working, key=deployment.key, lang=lang)
    return results


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Store-using tests run once on SQLite and once on a real PostgreSQL server."""
    if request.param == "postgresql":
        require_postgres()
    return request.param


@pytest.fixture
def deployment(tmp_path, backend) -> Deployment:
    return new_deployment(tmp_path / "data", backend)


@pytest.fixture(scope="session", params=BACKENDS)
def sample_store(request, tmp_path_factory) -> Deployment:
    """The real `portal sample` (scale 1) in a fresh data directory, through the CLI."""
    if request.param == "postgresql":
        require_postgres()
    deployment = new_deployment(tmp_path_factory.mktemp("sample") / "data", request.param)
    done = subprocess.run(
        [sys.executable, "-m", "portal.cli", "--lang", "en", "sample"],
        env=deployment.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    return deployment


@pytest.fixture(scope="module")
def browser(server):
    """One headless Chromium for a test module, driving that module's own ``server`` fixture."""
    from playwright.sync_api import sync_playwright

    from tools.screenshots import CHROMIUM_ARGS as ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=server["chromium"], args=ARGS)
        yield chromium
        chromium.close()


def report_line(config, line: str) -> None:
    """A line in pytest's own output even without ``-s``: counts the issue notes quote."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(line)
