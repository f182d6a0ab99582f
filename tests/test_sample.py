"""`portal sample` reproduces the Nantong report through the real load and publish.

The targets are the generator's own inputs (tools/sample/calibration.toml), so nothing
here is typed in: the test checks that the pipeline gives back what went in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pandas as pd
import pytest

from portal.vocab import DIMENSIONS
from tests.conftest import ROOT
from tools.sample import CALIBRATION, generate

CAL = CALIBRATION["nt_care"]


@pytest.fixture(scope="module")
def figures_json(sample_store) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "portal.cli", "figures", "--format", "json"],
        env=sample_store.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _cell(document: dict, figure: str, programme: str, period: str = "all", **dims) -> dict:
    wanted = {d: dims.get(d) for d in DIMENSIONS}
    found = [
        c
        for c in document["cells"]
        if c["figure"] == figure
        and c["programme"] == programme
        and c["period"] == period
        and all(c[d] == v for d, v in wanted.items())
    ]
    assert len(found) == 1, (figure, programme, period, dims)
    return found[0]


def test_release_header(figures_json):
    assert figures_json["as_of"] == CAL["as_of"].isoformat()
    assert figures_json["k"] == 10
    assert figures_json["release"]


def test_nt_care_reproduces_the_report(figures_json):
    p = CAL["programme"]
    assert _cell(figures_json, "funds_raised", p, channel="online")["value"] == CAL["online_funds_raised_fen"] / 100
    assert _cell(figures_json, "funds_disbursed", p)["value"] == CAL["funds_disbursed_fen"] / 100
    assert _cell(figures_json, "child_times", p)["value"] == CAL["disbursements"]
    assert _cell(figures_json, "children_in_care", p)["value"] == CAL["children_in_care"]
    assert _cell(figures_json, "children_paired", p)["value"] == CAL["children_paired"]
    assert _cell(figures_json, "volunteers_active", p)["value"] == CAL["volunteers_active"]
    assert _cell(figures_json, "volunteer_hours", p)["value"] > CAL["min_volunteer_hours"]
    assert _cell(figures_json, "home_visits", p)["value"] > CAL["min_home_visits"]


def test_payroll_giving_comes_on_top(figures_json):
    """Payroll giving (慈善一日捐) flows in beside the online batch, and every published channel
    cell of NT-CARE is the sum of its raw rows (one may be withheld to protect a small one)."""
    from portal.vocab import vocabulary

    p = CAL["programme"]
    raw = generate(scale=1)["donations"]
    raw = raw[raw["programme"] == p].assign(
        channel_code=lambda d: d["channel"].map(vocabulary("channel").lookup), yuan=lambda d: d["amount"].astype(float)
    )
    by_channel = raw.groupby("channel_code")["yuan"].sum()
    assert by_channel["payroll"] > 0 and raw["yuan"].sum() > by_channel["online"] + by_channel["payroll"] - 1e-6
    assert _cell(figures_json, "funds_raised", p)["value"] == pytest.approx(raw["yuan"].sum())
    checked = 0
    for channel, total in by_channel.items():
        cell = _cell(figures_json, "funds_raised", p, channel=channel)
        if cell["status"] == "published":
            assert cell["value"] == pytest.approx(total), channel
            checked += 1
        else:
            assert cell["value"] is None and cell["reason"]
    assert checked >= 1


def test_each_disbursement_follows_its_stage_standard(sample_store):
    """Every NT-CARE payment is half its stage's yearly standard (one per semester)."""
    from portal.vocab import vocabulary

    frames = generate(scale=1)["disbursements"]

    nt = frames[frames["programme"] == CAL["programme"]]
    halves = {s: y / 2 for s, y in CAL["yearly_standard"].items()}
    stages = nt["stage"].map(vocabulary("stage").lookup)
    assert (nt["amount"].astype(float).to_numpy() == stages.map(halves).to_numpy()).all()


def test_every_programme_is_published(figures_json):
    programmes = {c["programme"] for c in figures_json["cells"]}
    assert {"NT-CARE", "LY-MENTOR", "XJ-HEALTH", "CZ-HOSPITAL", "TL-CLOUD", "all"} <= programmes


def test_deterministic_and_scaled():
    one = generate(scale=1, seed=5)
    again = generate(scale=1, seed=5)
    for kind in one:
        pd.testing.assert_frame_equal(one[kind], again[kind])
    two = generate(scale=2, seed=5)
    for kind in ("donations", "children", "disbursements", "volunteer_hours"):
        assert len(two[kind]) == 2 * len(one[kind]), kind
    assert two["disbursements"]["id_no"].isin(two["children"]["id_no"]).all()
    assert not two["donations"]["receipt_no"].duplicated().any()


def test_sample_files_are_what_staff_hand_over(sample_store):
    """GB18030 with Chinese headers, a workbook with Chinese dates and ¥ amounts, UTF-8-BOM
    with English headers: the real loaders took them all (the fixture's load succeeded)."""
    folder = sample_store.settings.data_dir / "sample"
    children = (folder / "children.csv").read_bytes()
    assert not children.startswith(b"\xef\xbb\xbf")
    assert children.decode("gb18030").splitlines()[0].startswith("身份证号")
    hours = (folder / "volunteer_hours.csv").read_bytes()
    assert hours.startswith(b"\xef\xbb\xbf") and hours[3:].decode("utf-8").split(",")[0].isascii()
    from openpyxl import load_workbook

    sheet = load_workbook(folder / "disbursements.xlsx", read_only=True).active
    rows = list(sheet.iter_rows(min_row=3, max_row=3, values_only=True))
    assert any(isinstance(v, str) and v.startswith("¥") for v in rows[0])
    assert any(isinstance(v, str) and v.endswith("日") and "年" in v for v in rows[0])


def test_the_sample_is_not_shipped_with_the_portal():
    """The generator is a development tool: the installed packages are portal and loaders only."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not any(pattern.startswith("tools") for pattern in include)
    assert not (ROOT / "portal" / "sample.py").exists()


def test_without_the_generator_portal_sample_says_so(tmp_path):
    """Where the portal is installed without tools/sample, `portal sample` says the sample is a
    development tool (exit 2) and writes nothing."""
    from portal.i18n import t

    code = (
        "import sys; sys.modules['tools.sample'] = None\n"  # as if not installed
        "from portal.cli import main; sys.exit(main(['--lang', 'en', 'sample']))"
    )
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PORTAL_DATA_DIR": str(data)},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr
    assert t("cli.sample_unavailable", "en") in done.stderr
    assert not data.exists()
