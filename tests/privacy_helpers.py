"""A deployment built for attacking: random raw rows with planted features (payments at a
fixed amount per stage, one dominant gift, one county not public), loaded through the real
loaders and published twice: once naively (``suppression=False``) and once safely.

The attacks only read published cells; expectations come from the frames the test made."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from portal import publish, queries
from portal.figures import BY_KEY
from portal.vocab import DIMENSIONS
from tests.conftest import Deployment, load_frames, new_deployment
from tests.factories import COUNTIES, random_raw

K = 10
DOMINANT_YUAN = 2_000_000


@dataclass
class World:
    frames: dict[str, pd.DataFrame]
    deployment: Deployment
    base: Path
    naive: pd.DataFrame  # suppression=False
    safe: pd.DataFrame
    hidden_region: str
    payment: dict[str, float]  # stage code -> the fixed amount of every payment at that stage (yuan)


def planted_frames(seed: int) -> tuple[dict[str, pd.DataFrame], str, dict[str, float]]:
    from portal.vocab import vocabulary

    frames = random_raw(seed, children=160, disbursements=700, donations=300, records=400)
    # every payment of a stage is the same amount: money ÷ amount is a count
    d = frames["disbursements"]
    labels = sorted(d["stage"].unique())
    amount = {label: 800.0 + 250.0 * i for i, label in enumerate(labels)}
    d["amount"] = d["stage"].map(lambda s: f"{amount[s]:.2f}")
    stages = vocabulary("stage")
    payment = {code: amount[stages.label(code, "zh")] for code in stages.codes if stages.label(code, "zh") in amount}
    # one gift dominates its month, channel and donor type
    dn = frames["donations"]
    big = dn.iloc[[0]].copy()
    big["receipt_no"] = f"T{seed}-BIG"
    big["amount"] = f"{DOMINANT_YUAN:.2f}"
    frames["donations"] = pd.concat([dn, big], ignore_index=True)
    # one county used by the children is not public
    names = {zh: code for code, (zh, _) in COUNTIES.items()}
    hidden = names[frames["children"]["county"].iloc[0]]
    regions = frames["regions"].copy()
    regions["public"] = np.where(regions["code"] == hidden, "否", "")
    frames["regions"] = regions
    return frames, hidden, payment


def build_world(base: Path, seed: int = 11) -> World:
    frames, hidden, payment = planted_frames(seed)
    deployment = new_deployment(base / "data")
    load_frames(deployment, frames, base / "raw")
    naive = publish.publish(working=deployment.working, published=deployment.published, k=K, suppression=False)
    safe = publish.publish(working=deployment.working, published=deployment.published, k=K)
    return World(
        frames,
        deployment,
        base,
        queries.cells(engine=deployment.published, release_id=naive.release_id),
        queries.cells(engine=deployment.published, release_id=safe.release_id),
        hidden,
        payment,
    )


# ---------------------------------------------------------------------------------------------
# Reading cells
# ---------------------------------------------------------------------------------------------


def dims_key(frame: pd.DataFrame) -> pd.Series:
    key = pd.Series("", index=frame.index)
    for d in DIMENSIONS:
        key = key + "|" + frame[d].astype(object).where(frame[d].notna(), "").astype(str)
    return key


def cell_key(frame: pd.DataFrame) -> pd.Series:
    return frame["figure"] + "#" + frame["programme"] + "#" + frame["period"] + "#" + dims_key(frame)


def is_exempt(frame: pd.DataFrame) -> pd.Series:
    """Headline cells (no breakdown, any period): always published (privacy.md)."""
    return frame[list(DIMENSIONS)].isna().all(axis=1)


def primary_only(naive: pd.DataFrame, k: int = K) -> pd.DataFrame:
    """What a naive publisher shows: the naive release with only the people counts of 1 … K−1
    withheld (the count cells themselves, nothing else)."""
    out = naive.copy()
    guard = out["figure"].map(lambda f: BY_KEY[f].guarded_by == f)
    small = guard & (out["value"] > 0) & (out["value"] < k) & ~is_exempt(out)
    out.loc[small, "status"] = "withheld"
    out.loc[small, "value"] = np.nan
    return out


def primary_with_money(naive: pd.DataFrame, k: int = K) -> pd.DataFrame:
    """A less naive publisher: every figure of a cell whose people count is 1 … K−1 withheld,
    but no complementary suppression."""
    out = naive.copy()
    keyed = out.assign(key=dims_key(out))
    guards = {}
    for f in out["figure"].unique():
        g = BY_KEY[f].guarded_by
        if g:
            guards[f] = g
    small = pd.Series(False, index=out.index)
    for figure, guard in guards.items():
        gv = keyed[keyed["figure"] == guard].set_index(["programme", "period", "key"])["value"]
        rows = keyed["figure"] == figure
        people = gv.reindex(pd.MultiIndex.from_frame(keyed.loc[rows, ["programme", "period", "key"]])).to_numpy()
        small[rows] = (people > 0) & (people < k)
    small &= ~is_exempt(out)
    out.loc[small, "status"] = "withheld"
    out.loc[small, "value"] = np.nan
    return out


def subtraction_attack(cells: pd.DataFrame, figure: str, relation: str) -> dict[str, float]:
    """Every withheld cell of ``figure`` recovered as total − the other published parts, in
    relations of one kind: ``breakdown`` (a one-dimension breakdown against the total),
    ``overlap`` (region × stage against a region or a stage total), ``period`` (a year
    against its quarters, a quarter against its months), ``programme`` (all against each
    programme). Returns {cell key: recovered value}."""
    f = cells[cells["figure"] == figure].copy()
    f["key"] = cell_key(f)
    f["dims"] = dims_key(f)
    n_dims = f[list(DIMENSIONS)].notna().sum(axis=1)
    pairs = []  # (part rows, parent key series)
    if relation == "breakdown":
        for d in DIMENSIONS:
            rows = (n_dims == 1) & f[d].notna()
            pairs.append((rows, f.loc[rows, "programme"] + "#" + f.loc[rows, "period"] + "#" + "|" * len(DIMENSIONS)))
    elif relation == "overlap":
        rows = f["region"].notna() & f["stage"].notna()
        for drop in ("region", "stage"):
            blank = f.loc[rows].copy()
            blank[drop] = None
            pairs.append((rows, blank["programme"] + "#" + blank["period"] + "#" + dims_key(blank)))
    elif relation == "period":
        up = {}
        for p in f["period"].unique():
            if len(p) == 4:
                up[p] = None  # 'all' is not the sum of years for every figure
            elif "-Q" in p:
                up[p] = p[:4]
            elif len(p) == 7:
                up[p] = f"{p[:4]}-Q{(int(p[5:]) - 1) // 3 + 1}"
        parent = f["period"].map(up)
        rows = parent.notna()
        pairs.append((rows, f.loc[rows, "programme"] + "#" + parent[rows] + "#" + f.loc[rows, "dims"]))
    elif relation == "programme":
        rows = f["programme"] != "all"
        pairs.append((rows, "all#" + f.loc[rows, "period"] + "#" + f.loc[rows, "dims"]))
    else:
        raise ValueError(relation)
    by_key = f.set_index(f["programme"] + "#" + f["period"] + "#" + f["dims"])
    recovered: dict[str, float] = {}
    for rows, parent in pairs:
        if not rows.any():
            continue
        parts = f[rows].assign(parent=parent.to_numpy())
        parts = parts[parts["parent"].isin(by_key.index)]
        parts["total"] = by_key["value"].reindex(parts["parent"]).to_numpy()
        grouped = parts.groupby("parent")
        withheld = grouped["status"].transform(lambda s: (s == "withheld").sum())
        known = grouped["value"].transform("sum")
        # the one part of a breakdown is its total: that is the headline, known by design
        alone = grouped["status"].transform("size") == 1
        target = (parts["status"] == "withheld") & (withheld == 1) & parts["total"].notna() & ~alone
        for row in parts[target].itertuples():
            recovered[row.key] = float(row.total - known[row.Index])
    return recovered


def true_values(naive: pd.DataFrame) -> pd.Series:
    return pd.Series(naive["value"].to_numpy(), index=cell_key(naive).to_numpy())
