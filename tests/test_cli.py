"""The `portal` command line as architecture.md specifies it: commands, exit codes, formats."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from tests.conftest import ROOT
from tests.factories import random_raw


def portal(deployment, *args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args],
        env=env or deployment.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_init_creates_stores_and_a_private_key(deployment):
    env = deployment.env()
    del env["PORTAL_PSEUDONYM_KEY"]
    done = portal(deployment, "--lang", "en", "init", env=env)
    assert done.returncode == 0, done.stderr
    key_file = deployment.settings.data_dir / "pseudonym.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_text().strip() not in done.stdout + done.stderr


def test_load_refuses_without_a_key(deployment, tmp_path):
    path = tmp_path / "programmes.csv"
    random_raw(1)["programmes"].to_csv(path, index=False)
    env = deployment.env()
    del env["PORTAL_PSEUDONYM_KEY"]
    done = portal(deployment, "--lang", "en", "load", "programmes", str(path), env=env)
    assert done.returncode == 2
    assert "portal init" in done.stderr and "Traceback" not in done.stderr
    zh = portal(deployment, "--lang", "zh", "load", "programmes", str(path), env=env)
    assert zh.returncode == 2 and "密钥" in zh.stderr


def test_load_json_summary_and_missing_file(deployment, tmp_path):
    path = tmp_path / "programmes.csv"
    frame = random_raw(1)["programmes"]
    frame.to_csv(path, index=False)
    done = portal(deployment, "load", "programmes", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert set(summary) == {"kind", "file", "rows", "loaded", "rejected", "rejects_file"}
    assert summary["rows"] == summary["loaded"] == len(frame)
    missing = portal(deployment, "--lang", "en", "load", "programmes", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "nope.csv" in missing.stderr


def test_publish_k_floor_and_empty_store(deployment):
    low = portal(deployment, "--lang", "en", "publish", "--k", "4")
    assert low.returncode == 2 and "5" in low.stderr
    empty = portal(deployment, "--lang", "en", "publish")
    assert empty.returncode == 2 and "load" in empty.stderr
    none = portal(deployment, "--lang", "en", "figures")
    assert none.returncode == 2 and "publish" in none.stderr


def test_figures_csv_matches_json(sample_store):
    as_json = json.loads(portal(sample_store, "figures", "--format", "json").stdout)
    raw = subprocess.run(
        [sys.executable, "-m", "portal.cli", "figures", "--format", "csv"],
        env=sample_store.env(),
        cwd=ROOT,
        capture_output=True,
        timeout=300,
    ).stdout
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM so Excel opens it"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == len(as_json["cells"])
    for row, cell in zip(rows[:2000], as_json["cells"][:2000], strict=True):
        assert row["figure"] == cell["figure"] and row["status"] == cell["status"]
        assert (row["value"] == "") == (cell["value"] is None)
        if cell["value"] is not None:
            assert float(row["value"]) == cell["value"]
    assert {"figure_name_zh", "programme_name_en", "region_name_zh"} <= set(rows[0])


def test_sample_if_empty_skips_when_a_release_exists(sample_store):
    done = portal(sample_store, "--lang", "en", "sample", "--if-empty")
    assert done.returncode == 0 and "skipped" in done.stdout
