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


def test_publish_refuses_an_as_of_outside_the_data_and_an_absurd_k(deployment, tmp_path):
    """A future as-of would publish zeros for days nobody reported (and a grid to 9999), one
    before the first day nothing at all; a K of twenty digits is a typo. Each is a message in
    the user's language, exit 2, no traceback, nothing published; the data's own span works."""
    from tests.conftest import load_frames

    load_frames(deployment, random_raw(2, children=20, disbursements=40, donations=30, records=40), tmp_path / "raw")
    for args in (
        ("--as-of", "2030-12-31"),
        ("--as-of", "9999-12-31"),
        ("--as-of", "1900-01-01"),
        ("--k", "99999999999999999999"),
        ("--k", "1001"),
    ):
        for lang, words in (("en", ("Nothing was published", "K must be between")), ("zh", ("未发布", "K 须在"))):
            done = portal(deployment, "--lang", lang, "publish", *args)
            assert done.returncode == 2, (args, done.stderr)
            assert "Traceback" not in done.stderr and any(w in done.stderr for w in words), (args, done.stderr)
            if args[0] == "--as-of":
                assert args[1] in done.stderr  # names the date it refused
    none = portal(deployment, "--lang", "en", "figures")
    assert none.returncode == 2, "a refused publish wrote a release"
    done = portal(deployment, "--lang", "en", "publish", "--k", "5")
    assert done.returncode == 0, done.stderr


def test_serve_stops_on_one_sigterm(deployment):
    """`portal serve` is the server (exec), not its parent: one SIGTERM from a supervisor stops
    it, and nothing is left answering on the port."""
    import signal
    import urllib.request

    from bench.replicas import free_port, wait_healthy

    port = free_port()
    health = f"http://127.0.0.1:{port}/_stcore/health"
    server = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "--lang", "en", "serve", "--port", str(port)],
        env=deployment.env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        try:
            urllib.request.urlopen(health, timeout=3)
        except OSError:
            pass  # refused: the server is gone
        else:
            raise AssertionError(f"something still answers on port {port} after SIGTERM")
    finally:
        if server.poll() is None:
            server.kill()


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
