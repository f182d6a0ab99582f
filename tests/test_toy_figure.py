"""Adding a figure touches the registry only: a toy figure declared in a fixture (its measure,
breakdowns and guard, nothing else anywhere) is published, suppressed with the cells it shares
a people count with, audited, attacked by the red team and charted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portal import audit, charts, cube, figures, publish, queries, red_team, suppress
from portal.figures import Figure, Sum
from portal.vocab import DIMENSIONS, vocabulary
from tests.conftest import load_frames, new_deployment
from tests.factories import random_raw

K = 5
TOY = Figure(
    "toy_visit_hours",
    "入户走访时长",
    "Home-visit hours",
    "期内入户走访服务记录时长之和（小时）。",
    "Sum of hours of service records in the period with activity “home visit”.",
    "hours",
    1,
    "service",
    ((), ("region",), ("volunteer_type",)),
    "volunteers",
    measure=Sum("seconds", where="activity = 'home_visit'"),
    scale=3600,
    guarded_by="volunteers_active",
    colour="#123456",
)


@pytest.fixture(scope="module")
def toy_release(tmp_path_factory):
    """A random deployment published with the toy figure in the registry (and only there),
    and the same store published with suppression off (the truth)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(figures, "FIGURES", (*figures.FIGURES, TOY))
        patch.setitem(figures.BY_KEY, TOY.key, TOY)
        base = tmp_path_factory.mktemp("toy")
        deployment = new_deployment(base / "data")
        frames = random_raw(23)
        load_frames(deployment, frames, base / "raw")
        result = publish.publish(working=deployment.working, published=deployment.published, k=K)
        cells = queries.cells(engine=deployment.published, release_id=result.release_id)
        truth_store = new_deployment(base / "truth")
        naive = publish.publish(working=deployment.working, published=truth_store.published, k=K, suppression=False)
        truth = queries.cells(engine=truth_store.published, release_id=naive.release_id)
        yield frames, cells, truth, result.release_id


def test_the_toy_is_published_as_its_measure_says(toy_release):
    frames, cells, _, _ = toy_release
    mine = cells[cells["figure"] == TOY.key]
    assert len(mine) and set(mine["figure"]) == {TOY.key}
    rows = frames["volunteer_hours"]
    activity = vocabulary("activity")
    visits = rows[[activity.lookup(a) == "home_visit" for a in rows["activity"]]]
    headline = mine[(mine["programme"] == "all") & (mine["period"] == "all") & cube.is_headline(mine)]
    assert headline["status"].tolist() == ["published"]
    assert headline["value"].iloc[0] == pytest.approx(visits["hours"].astype(float).sum())
    # only the breakdowns the toy declares
    broken = mine[~cube.is_headline(mine)]
    used = {tuple(d for d in DIMENSIONS if isinstance(r[d], str)) for _, r in broken.iterrows()}
    assert used <= set(TOY.breakdowns)


def test_the_toy_is_suppressed_with_its_unit(toy_release):
    """Guarded by active volunteers, the toy shares its cells' fate with volunteer hours."""
    _, cells, _, _ = toy_release
    keyed = cells.assign(key=cube.cell_key(cells, head=pd.Series("", index=cells.index)))
    toy = keyed[keyed["figure"] == TOY.key].set_index("key")
    hours = keyed[keyed["figure"] == "volunteer_hours"].set_index("key")
    common = toy.index.intersection(hours.index)
    assert (toy.loc[common, "status"] == hours.loc[common, "status"]).all()
    assert (toy["status"] == "withheld").any(), "the random data has small cells"
    assert not (toy.loc[cube.is_headline(toy).to_numpy(), "status"] == "withheld").any()


def test_the_audit_and_the_red_team_cover_the_toy(toy_release):
    _, cells, truth, release = toy_release
    assert cube.adds_up(TOY.key)
    # the red team attacks the toy's withheld cells and recovers nothing sensitive
    report = red_team.Report()
    red_team.linear(report, release, red_team.keyed(cells[cells["figure"] == TOY.key]))
    assert report.attempts["linear"] > 0
    assert not [r for r in report.recoveries if r.sensitive]
    # a pattern that leaves one small toy cell alone in its breakdown fails the audit on it
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(figures, "FIGURES", (*figures.FIGURES, TOY))
        patch.setitem(figures.BY_KEY, TOY.key, TOY)
        key = cube.cell_key(cells)
        true_values = pd.Series(truth.set_index(cube.cell_key(truth))["value"].reindex(key).to_numpy(), cells.index)
        broken = cells.copy()
        toy = (broken["figure"] == TOY.key).to_numpy()
        small = np.flatnonzero(toy & (broken["reason"] == "primary").to_numpy() & (true_values > 0).to_numpy())
        assert len(small)
        at = small[0]
        broken.loc[toy, "status"] = "published"
        broken.loc[toy, "reason"] = None
        broken.loc[toy, "value"] = true_values[toy]
        broken.loc[broken.index[at], ["status", "reason", "value"]] = ["withheld", "primary", np.nan]
        with pytest.raises(suppress.AuditFailure) as failure:
            audit.run_audit(broken, true_values, k=K)
        assert failure.value.cell["figure"] == TOY.key


def test_the_toy_is_charted(toy_release):
    _, cells, _, _ = toy_release
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(figures.BY_KEY, TOY.key, TOY)
        years = sorted(p for p in cells["period"].unique() if len(p) == 4)
        over = charts.over_time(cells[cells["programme"] == "all"], TOY.key, years)
        spec = charts.trend(over, "en", K, title="t").to_dict()
        scale = spec["layer"][0]["encoding"]["color"]["scale"]
        assert scale["domain"] == [TOY.name_en] and scale["range"] == [TOY.colour]
        view = charts.select(cells[cells["programme"] == "all"], TOY.key, "all", by=("region",))
        bars = charts.bar(view, TOY.key, "region", "zh", K, title="t").to_json()
        assert TOY.name_zh in bars or "小时" in bars
