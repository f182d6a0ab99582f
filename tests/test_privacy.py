"""Suppression and audit properties (privacy.md) on cubes computed from random raw rows, and
on the real ``portal sample`` release."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portal import publish, queries, suppress
from portal.figures import BY_KEY
from portal.vocab import DIMENSIONS
from tests.conftest import load_frames, new_deployment
from tests.factories import random_raw
from tests.privacy_helpers import K, dims_key, is_exempt

SEEDS = (3, 5, 8)


@pytest.fixture(scope="module")
def cubes(tmp_path_factory):
    """Raw (unsuppressed) cubes of a few random deployments, through the real loaders."""
    out = []
    for seed in SEEDS:
        base = tmp_path_factory.mktemp(f"cube{seed}")
        deployment = new_deployment(base / "data")
        load_frames(deployment, random_raw(seed), base / "raw")
        raw, _, _ = publish.compute_cube(publish.load_facts(deployment.working))
        out.append(raw)
    return out


def _apply(raw: pd.DataFrame, k: int = K) -> pd.DataFrame:
    regions = set(raw["region"].dropna())
    return suppress.apply(raw, k=k, public_regions=regions)


def _unit_key(cells: pd.DataFrame) -> pd.Series:
    group = cells["figure"].map(lambda f: f"{BY_KEY[f].family}:{BY_KEY[f].guarded_by}")
    return group + "#" + cells["programme"] + "#" + cells["period"] + "#" + dims_key(cells)


@pytest.mark.parametrize("k", [5, 10])
def test_threshold_property(cubes, k):
    """Random data: no published people count of 1 … K−1, and no money, hours or average of
    such a cell, outside the exact whole-programme totals."""
    for raw in cubes:
        cells = _apply(raw, k)
        small = raw["people"].between(1, k - 1) & ~is_exempt(raw)
        assert small.any()
        assert (cells.loc[small, "status"] == "withheld").all()
        assert cells.loc[small, "value"].isna().all()


def test_k_below_minimum_refused(cubes):
    with pytest.raises(ValueError, match="between 5 and"):
        suppress.apply(cubes[0], k=suppress.MIN_K - 1, public_regions=set())


def test_linked_figures_share_one_pattern(cubes):
    """Figures computed from the same rows and guarded by the same people count are withheld
    together (children vs money)."""
    for raw in cubes:
        cells = _apply(raw)
        guarded = cells[cells["figure"].map(lambda f: BY_KEY[f].guarded_by is not None)]
        statuses = guarded.groupby(_unit_key(guarded))["status"].nunique()
        assert (statuses == 1).all()


def test_complementary_protects_every_published_total(cubes):
    """In every breakdown whose total is published, the withheld parts are none, or at least
    two that together cover at least K people (when the parts hold that many)."""
    checked = 0
    for raw in cubes:
        cells = _apply(raw)
        cells["people_true"] = raw["people"]
        for figure in ("children_served", "volunteers_active", "children_in_care"):
            f = cells[cells["figure"] == figure]
            totals = f[f[list(DIMENSIONS)].isna().all(axis=1)].set_index(["programme", "period"])
            for dim in ("region", "stage", "category", "volunteer_type"):
                others = [d for d in DIMENSIONS if d != dim]
                parts = f[f[dim].notna() & f[others].isna().all(axis=1)]
                for key, group in parts.groupby(["programme", "period"]):
                    withheld = group[group["status"] == "withheld"]
                    if totals.loc[key, "status"] != "published" or withheld.empty:
                        continue
                    assert len(withheld) >= 2, (figure, dim, key)
                    if group["people_true"].sum() >= K:
                        assert withheld["people_true"].sum() >= K, (figure, dim, key)
                    checked += 1
    assert checked > 0


def test_zeros_shown_and_totals_exact(cubes):
    for raw in cubes:
        cells = _apply(raw)
        zero = (raw["people"] == 0) & (raw["value"] == 0)
        assert zero.any()
        assert (cells.loc[zero & (cells["reason"] != "complementary"), "status"] == "published").all()
        exempt = is_exempt(cells)
        assert (cells.loc[exempt, "status"] == "published").all()
        assert np.allclose(cells.loc[exempt, "value"].dropna(), raw.loc[exempt, "value"].dropna())


def test_withheld_cells_carry_a_reason_and_no_value(cubes):
    cells = _apply(cubes[0])
    withheld = cells[cells["status"] == "withheld"]
    assert set(withheld["reason"]) <= {"geography", "primary", "dominance", "complementary"}
    assert {"primary", "complementary"} <= set(withheld["reason"])
    assert withheld["value"].isna().all()
    assert cells.loc[cells["status"] == "published", "reason"].isna().all()


def test_pattern_independent_of_row_order(cubes):
    raw = cubes[1]
    a = _apply(raw)
    b = _apply(raw.sample(frac=1, random_state=2)).loc[a.index]
    assert (a["status"] == b["status"]).all()


def test_disabled_publishes_everything(cubes):
    cells = suppress.apply(cubes[0], k=K, public_regions=set(), enabled=False)
    assert (cells["status"] == "published").all()


def test_audit_names_a_pinned_cell(cubes):
    """Undo the complementary suppression of a released pattern: the audit fails and names
    a withheld cell."""
    raw = cubes[0]
    cells = _apply(raw)
    broken = cells.copy()
    undo = broken["reason"] == "complementary"
    assert undo.any()
    broken.loc[undo, ["status", "reason"]] = ["published", None]
    broken.loc[undo, "value"] = raw.loc[undo, "value"]
    with pytest.raises(suppress.AuditFailure) as failure:
        suppress.run_audit(broken, raw["value"], k=K)
    cell = failure.value.cell
    assert {"figure", "programme", "period"} <= set(cell)
    assert cell["figure"] in str(failure.value)
    suppress.run_audit(cells, raw["value"], k=K)  # the real pattern passes


def test_audit_catches_a_subset_differing_by_few_people(cubes):
    """Children in care − children paired must not be 1 … K−1 where both are published."""
    raw = cubes[0]
    cells = _apply(raw)
    both = cells[cells["figure"].isin(["children_in_care", "children_paired"])].copy()
    key = both["programme"] + "#" + both["period"] + "#" + dims_key(both)
    wide = both.assign(key=key, true=raw.loc[both.index, "value"]).pivot_table(
        index="key", columns="figure", values="true"
    )
    gap = wide["children_in_care"] - wide["children_paired"]
    target = gap[(gap > 0) & (gap < K) & (wide["children_paired"] >= K)].index
    assert len(target) > 0
    broken = cells.copy()
    rows = broken.index[(broken["figure"] == "children_paired") & key.reindex(broken.index).isin(target)]
    care = broken.index[(broken["figure"] == "children_in_care") & key.reindex(broken.index).isin(target)]
    for idx in (*rows, *care):
        broken.loc[idx, ["status", "reason", "value"]] = ["published", None, raw.loc[idx, "value"]]
    with pytest.raises(suppress.AuditFailure, match="children_paired"):
        suppress._audit_subsets(broken, K)


def test_sample_publishes_with_the_audit_passing(sample_store):
    """The `portal sample` release went through the audit (the CLI exits 1 otherwise) and has
    complementary suppression at work."""
    release = queries.current_release(engine=sample_store.published)
    cells = queries.cells(engine=sample_store.published, release_id=release.id)
    reasons = set(cells["reason"].dropna())
    assert {"primary", "complementary"} <= reasons
    people = cells[cells["figure"].map(lambda f: BY_KEY[f].guarded_by == f) & ~is_exempt(cells)]
    shown = people[people["status"] == "published"]
    assert not shown["value"].between(1, release.k - 1).any()


def test_units_read_again_equal_units_built_afresh(cubes):
    """Suppression builds its units once and reads the sizes again each round (``again``); that
    must be the units a fresh build over the suppressed cells gives (the sizes of units sized
    by a count figure come from that figure's value, withheld or not)."""
    from portal.figures import FIGURES
    from portal.units import Units

    sizing = {f.sized_by for f in FIGURES if f.sized_by}
    for raw in cubes:
        cells = _apply(raw)
        # and a round later: half the sizing counts withheld besides
        later = cells.copy()
        rows = later.index[later["figure"].isin(sizing)][::2]
        later.loc[rows, ["status", "value"]] = ["withheld", np.nan]
        first = Units(raw.copy())
        for now in (cells, later):
            fresh, again = Units(now), first.again(now)
            pd.testing.assert_frame_equal(again.frame, fresh.frame)
            assert np.array_equal(again.people, fresh.people)
            for relation, parents in fresh.parents.items():
                assert np.array_equal(again.parents[relation], parents)
        assert not np.array_equal(first.people, Units(later).people)  # the sizes were read again
