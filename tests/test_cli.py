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
    # under --format json a failure is JSON on stdout too; a folder is named as a folder
    folder = portal(deployment, "--lang", "en", "load", "programmes", str(tmp_path), "--format", "json")
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    error = json.loads(folder.stdout)
    assert error["exit_code"] == 2 and "is a folder" in error["error"] and error["kind"] == "programmes"


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


def _count(deployment, table: str) -> int:
    with deployment.working.connect() as connection:
        return connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def _sqlite_only(deployment):
    return deployment.settings.working_store_url.startswith("sqlite")


def test_a_store_busy_with_another_writer_is_waited_for_then_named(deployment, tmp_path):
    """A second load while another holds the store: a visible notice that it waits, then a
    clear error (exit 1, no traceback, nothing changed); once the store is free it loads."""
    import sqlite3

    from tests.conftest import load_frames

    if not _sqlite_only(deployment):  # PostgreSQL lets writers of different rows run side by side
        from tests.conftest import new_deployment

        deployment = new_deployment(tmp_path / "sqlite")
    frames = random_raw(2, children=10, disbursements=10, donations=12, records=10)
    load_frames(deployment, {k: v for k, v in frames.items() if k != "donations"}, tmp_path / "raw")
    path = tmp_path / "donations.csv"
    frames["donations"].to_csv(path, index=False)
    holder = sqlite3.connect(deployment.settings.data_dir / "working.db", timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        env = {**deployment.env(), "PORTAL_LOCK_WAIT_S": "3"}
        for lang, words in (("en", "waiting"), ("zh", "等待")):
            done = portal(deployment, "--lang", lang, "load", "donations", str(path), env=env)
            assert done.returncode == 1, done.stderr
            assert words in done.stderr and "Traceback" not in done.stderr, done.stderr
    finally:
        holder.rollback()
        holder.close()
    assert _count(deployment, "donation") == 0
    done = portal(deployment, "--lang", "en", "load", "donations", str(path))
    assert done.returncode == 0, done.stderr
    assert _count(deployment, "donation") == len(frames["donations"])


def test_a_full_disk_is_named_and_changes_nothing(deployment, tmp_path):
    """The disk fills during a load (a file-size limit on the command makes every write past it
    fail as on a full disk): a message saying what to free, exit 1, no traceback, the store as
    it was; with room again the same file loads."""
    import resource
    import signal

    from tests.conftest import load_frames, new_deployment

    if not _sqlite_only(deployment):  # the limit acts on this process's files: SQLite's
        deployment = new_deployment(tmp_path / "sqlite")
    frames = random_raw(2, children=10, disbursements=10, donations=3000, records=10)
    load_frames(deployment, {k: v for k, v in frames.items() if k != "donations"}, tmp_path / "raw")
    path = tmp_path / "donations.csv"
    frames["donations"].to_csv(path, index=False)
    limit = (deployment.settings.data_dir / "working.db").stat().st_size + 16_384

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    for lang, words in (("en", "The disk is full"), ("zh", "磁盘空间不足")):
        done = subprocess.run(
            [sys.executable, "-m", "portal.cli", "--lang", lang, "load", "donations", str(path)],
            env=deployment.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=small_disk,
        )
        assert done.returncode == 1, done.stderr
        assert words in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert _count(deployment, "donation") == 0
        assert not list(tmp_path.glob("*.part")), "a half-written rejects file was left"
    done = portal(deployment, "--lang", "en", "load", "donations", str(path))
    assert done.returncode == 0, done.stderr
    assert _count(deployment, "donation") == len(frames["donations"])


def test_a_key_that_is_not_a_key_is_named(deployment, tmp_path):
    """A binary file in the key's place, or a key too short to be secret: load and serve say
    which key and what to do, in the user's language; never a UnicodeDecodeError."""
    from tests.test_secrets import start_server

    path = tmp_path / "programmes.csv"
    random_raw(1)["programmes"].to_csv(path, index=False)
    data_dir = tmp_path / "keys"
    data_dir.mkdir()
    env = {**deployment.env(), "PORTAL_DATA_DIR": str(data_dir)}
    del env["PORTAL_PSEUDONYM_KEY"]
    cases = {
        "binary": (b"\xff\xfe\x00\x81" * 16, ("is not text", "不是文本")),
        "short": (b"abc123\n", ("too short", "太短")),
    }
    for content, words in cases.values():
        (data_dir / "pseudonym.key").write_bytes(content)
        for lang, word in zip(("en", "zh"), words, strict=True):
            done = portal(deployment, "--lang", lang, "load", "programmes", str(path), env=env)
            assert done.returncode == 2, done.stderr
            assert word in done.stderr and "Traceback" not in done.stderr, done.stderr
            assert "pseudonym.key" in done.stderr
        served = start_server({**env, "PORTAL_LANG": "en"})
        assert served.returncode == 3 and words[0] in served.stderr and "Traceback" not in served.stderr
