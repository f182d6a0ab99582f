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

from portal import stores
from portal.db import make_engine
from portal.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
LOAD_ORDER = ("programmes", "regions", "stage_standards", "children", "donations", "disbursements", "volunteer_hours")


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


def new_deployment(data_dir: Path) -> Deployment:
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
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


@pytest.fixture
def deployment(tmp_path) -> Deployment:
    return new_deployment(tmp_path / "data")


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory) -> Deployment:
    """The real `portal sample` (scale 1) in a fresh data directory, through the CLI."""
    deployment = new_deployment(tmp_path_factory.mktemp("sample") / "data")
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
