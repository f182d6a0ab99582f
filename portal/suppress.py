"""Small cells kept safe (privacy.md).

Input: the raw cube from publish (one row per cell, with ``people``: the distinct count of
children, volunteers or donors behind the cell, and for money cells the top donors' sums).
Output: the same cells with ``status`` (published | withheld), ``reason`` and ``value`` NaN
where withheld.

Headline cells (a figure's total with no breakdown, for a programme or all programmes, in
every period of the grid) are always published, exactly: they are the charity's own accounts.
The rules below work inside breakdowns and take the headlines as known. In order:
- geography: a region not marked public is never published;
- primary: a cell whose people count is 1 … K−1 is withheld, and with it every money, hours
  and average figure of that cell (fixed yearly standards make an amount reveal a count);
- dominance: a money cell where one donor gives > 50 % or two give > 67 % is withheld;
- subset: a count of a subset (children paired) that differs from its whole (children in care)
  by 1 … K−1 people is withheld;
- complementary: in every relation "total = sum of parts" of the cube whose total is published (a
  breakdown and its total, region × stage against region and stage totals, a year against its
  quarters, a quarter against its months, all time against the years, all programmes against
  each programme), a withheld part never stands alone: further parts are withheld, smallest
  first, until the withheld parts cover at least K people; a withheld total keeps at least one
  part withheld. Iterated over every relation to a fixed point. Where the parts run out
  below a headline (which never gives way), the whole breakdown is withheld, zeros included.
Zero is a true zero and is shown, unless it must stand in for a part of a withheld breakdown.

Suppression works on *units* (``portal.units``): the cells of one programme × period ×
dimensions that share a people count are withheld or published as a whole (linked tables).
The relations come from ``portal.cube``; the interval audit of the pattern is ``portal.audit``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from portal import cube
from portal.audit import OWN_REASONS, PROTECTION_SHARE, AuditFailure, additives, audit_subsets, intervals, run_audit
from portal.units import Units

__all__ = ["PROTECTION_SHARE", "AuditFailure", "Units", "apply", "audit_subsets", "intervals", "run_audit"]
_audit_subsets = audit_subsets  # the name tests have used

MIN_K = 5
# a threshold above any group a children's programme has: a larger K withholds everything, and
# a K of twenty digits is a typo, not a policy
MAX_K = 1000
DOMINANCE_ONE = 0.50
DOMINANCE_TWO = 0.67
_MAX_ROUNDS = 200
_REPAIR_ROUNDS = 30
_RINGS = 4  # how far from a pinned cell suppression looks for a cell it may still withhold


# ---------------------------------------------------------------------------------------------
# Complementary suppression
# ---------------------------------------------------------------------------------------------


def _group_cumulative(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exclusive cumulative sum and count of ``values`` within runs of equal ``groups``."""
    total = np.cumsum(values)
    count = np.arange(len(values))
    starts = np.r_[True, groups[1:] != groups[:-1]]
    start_idx = np.maximum.accumulate(np.where(starts, np.arange(len(values)), 0))
    before = np.r_[0.0, total][start_idx]
    excl_sum = total - values - before
    excl_count = count - start_idx
    return excl_sum, excl_count


def complement(units: Units, withheld: np.ndarray, k: int) -> np.ndarray:
    """Withhold further units until every relation with a withheld term is protected; returns
    the mask of units newly withheld."""
    withheld = withheld.copy()
    start = withheld.copy()
    n = len(units)
    people = units.people
    exempt = units.exempt
    for _ in range(_MAX_ROUNDS):
        changed = False
        for parent in units.parents.values():
            idx = np.flatnonzero(parent >= 0)
            par = parent[idx]
            w = withheld[idx]
            n_w = np.bincount(par, weights=w, minlength=n)
            ppl_w = np.bincount(par, weights=people[idx] * w, minlength=n)
            has_parts = np.bincount(par, minlength=n) > 0
            total_w = withheld
            need_count = np.where(total_w, 1 - n_w, np.where(n_w >= 1, 2 - n_w, 0))
            need_people = np.where(~total_w & (n_w >= 1), k - ppl_w, 0)
            deficient = has_parts & ((need_count > 0) | (need_people > 0))
            if not deficient.any():
                continue
            # smallest first; a zero only where no part with people is left: then the whole
            # breakdown goes, zeros included (a published zero beside one withheld part gives it away)
            cand = idx[~w & ~exempt[idx] & deficient[par]]
            cand = cand[np.lexsort((cand, people[cand], people[cand] <= 0, parent[cand]))]
            cp = parent[cand]
            ppl = people[cand]
            cap_count = np.bincount(cp, minlength=n)
            cap_people = np.bincount(cp, weights=ppl, minlength=n)
            infeasible = deficient & ((cap_count < need_count) | (cap_people < need_people))
            # parts cannot protect a published breakdown cell: withhold that cell instead; a
            # headline stays exact and every remaining part is withheld (the whole breakdown)
            own = infeasible & ~total_w & ~exempt
            excl_sum, excl_count = _group_cumulative(ppl, cp)
            pick = (excl_count < need_count[cp]) | (excl_sum < need_people[cp]) | infeasible[cp]
            pick &= ~own[cp]
            if own.any():
                withheld[own] = True
                changed = True
            if pick.any():
                withheld[cand[pick]] = True
                changed = True
        if not changed:
            break
    return withheld & ~start


def _protect(units: Units, withheld: np.ndarray, sensitive: np.ndarray, k: int, additives) -> np.ndarray:
    """Complementary suppression, then the interval audit on the pattern; a withheld unit
    still pinned (a partner that turned out to be known, e.g. a zero) gets its published
    totals withheld too, and the relations are protected again, until nothing is pinned.
    Returns the units newly withheld."""
    start = withheld.copy()
    withheld = withheld.copy()
    for _ in range(_REPAIR_ROUNDS):
        withheld |= complement(units, withheld, k)
        pinned = np.zeros(len(units), dtype=bool)
        for additive in additives:
            pinned |= additive.pinned(withheld, sensitive)[0]
        if not pinned.any():
            break
        grow = _grow_wider(units, withheld, np.flatnonzero(pinned))
        if not grow.any():
            break  # nothing left to withhold: the audit names the cell
        withheld |= grow
    return withheld & ~start


def _grow_wider(units: Units, withheld: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``_grow_around`` the targets; where every neighbour of theirs is withheld already or a
    headline (a cell pinned through its neighbours' own relations, not through its own), around
    those withheld neighbours, a ring further out each time."""
    seen = np.zeros(len(units), dtype=bool)
    ring = targets
    for _ in range(_RINGS):
        grow = _grow_around(units, withheld, ring)
        if grow.any():
            return grow
        seen[ring] = True
        near = np.zeros(len(units), dtype=bool)
        for parent in units.parents.values():
            up = parent[ring]
            up = up[up >= 0]
            near[up] = True  # totals
            near |= np.isin(parent, up) | np.isin(parent, ring)  # siblings, parts
        ring = np.flatnonzero(near & withheld & ~seen & ~units.exempt)
        if not len(ring):
            break
    return np.zeros(len(units), dtype=bool)


def _grow_around(units: Units, withheld: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The units to withhold next so that the withheld ``targets``, which an attacker can pin
    down, are not: in every relation, one more of each target's siblings (else its total, where
    that may give way) and one more of its own parts. Headlines never give way."""
    grow = np.zeros(len(units), dtype=bool)
    open_ = ~withheld & ~units.exempt
    for parent in units.parents.values():
        for unit in targets:
            up = parent[unit]
            if up >= 0 and not _grow_one(grow, units, np.flatnonzero((parent == up) & open_)):
                grow[up] = open_[up]
            _grow_one(grow, units, np.flatnonzero((parent == unit) & open_))
    return grow & ~withheld


# ---------------------------------------------------------------------------------------------
# apply
# ---------------------------------------------------------------------------------------------


def apply(
    cells: pd.DataFrame,
    *,
    k: int,
    public_regions: set[str],
    enabled: bool = True,
    audit: bool = True,
) -> pd.DataFrame:
    if not MIN_K <= k <= MAX_K:
        raise ValueError(f"k must be between {MIN_K} and {MAX_K}")
    cells = cells.copy()
    reason = pd.Series(None, index=cells.index, dtype=object)
    if enabled:
        exempt = cube.is_headline(cells)
        region = cells["region"]
        reason[region.notna() & ~region.isin(public_regions)] = "geography"
        people = cells["people"]
        primary = people.notna() & (people > 0) & (people < k)
        reason[primary & reason.isna()] = "primary"
        if "total_fen" in cells:
            total = cells["total_fen"].abs()
            with np.errstate(divide="ignore", invalid="ignore"):
                one = cells["top1_fen"] / total
                two = cells["top2_fen"] / total
            dominated = cells["total_fen"].notna() & (total > 0) & ((one > DOMINANCE_ONE) | (two > DOMINANCE_TWO))
            reason[dominated & reason.isna()] = "dominance"
        reason[exempt] = None
        reason = _subsets(cells, reason, k)
        units = Units(cells)
        unit_of_cell = units.of_cells()
        in_unit = unit_of_cell >= 0
        withheld = np.zeros(len(units), dtype=bool)
        withheld[unit_of_cell[in_unit & reason.notna().to_numpy()]] = True
        # one pattern per unit: a cell of a withheld unit is withheld (first reason found)
        unit_reason = (
            pd.Series(reason[in_unit].to_numpy(), index=unit_of_cell[in_unit]).dropna().groupby(level=0).first()
        )
        sensitive = withheld.copy()
        added = _protect(units, withheld, sensitive, k, additives(units, unit_of_cell, cells, cells["value"]))
        unit_reason = pd.concat([unit_reason, pd.Series("complementary", index=np.flatnonzero(added))])
        mapped = pd.Series(unit_of_cell).map(unit_reason)
        fill = in_unit & reason.isna().to_numpy() & mapped.notna().to_numpy()
        reason[fill] = mapped[fill].to_numpy()
        reason[exempt] = None
    cells["reason"] = reason.astype(object).where(reason.notna(), None)
    cells["status"] = np.where(reason.isna(), "published", "withheld")
    true_values = cells["value"].copy()
    cells.loc[cells["status"] == "withheld", "value"] = np.nan
    if enabled and audit:
        cells = _harden(cells, true_values, k, units)
        run_audit(cells, true_values, k=k, units=units)
    return cells


_HARDEN_ROUNDS = 12


def _secret(cells: pd.DataFrame, true_values: pd.Series) -> pd.Series:
    """Cells withheld for their own sake; a non-public county's true zero is not a secret
    (zero is a true zero: that nothing happened there is not what the geography rule hides)."""
    own = cells["reason"].isin(OWN_REASONS)
    return own & ~((cells["reason"] == "geography") & (true_values.reindex(cells.index) == 0))


def _harden(cells: pd.DataFrame, true_values: pd.Series, k: int, first: Units) -> pd.DataFrame:
    """Attack the candidate release as the red team does (every relation of every additive
    figure as one linear system, and the linked figures); where a cell withheld for its own
    sake can be solved for, withhold more of its relations' parts (the smallest published
    sibling in each, or the parent where there is none), protect the relations again, and
    attack again. The relation-by-relation interval audit misses what equations combined
    reveal; this does not."""
    from portal import red_team

    relations: dict = {}  # each figure's relations: its rows stay, only status and values change
    for _ in range(_HARDEN_ROUNDS):
        keyed = red_team.keyed(cells)
        report = red_team.Report()
        red_team.linear(report, "candidate", keyed, relations)
        red_team.linked(report, "candidate", keyed)
        found = {r.cell for r in report.recoveries}
        rows = keyed.index[(keyed["key"].isin(found) & _secret(keyed, true_values)).to_numpy()]
        if not len(rows):
            return cells
        units = first.again(cells)
        unit_of_cell = units.of_cells()
        withheld = np.zeros(len(units), dtype=bool)
        in_unit = unit_of_cell >= 0
        withheld[unit_of_cell[in_unit & (cells["status"] == "withheld").to_numpy()]] = True
        targets = np.unique(unit_of_cell[cells.index.get_indexer(rows)])
        grow = _grow_around(units, withheld, targets[targets >= 0])
        if not grow.any():
            break
        withheld |= grow
        withheld |= complement(units, withheld, k)
        newly = (
            pd.Series(unit_of_cell).isin(np.flatnonzero(withheld)).to_numpy()
            & (cells["status"] != "withheld").to_numpy()
        )
        cells.loc[newly, "reason"] = "complementary"
        cells.loc[newly, "status"] = "withheld"
        cells.loc[newly, "value"] = np.nan
    keyed = red_team.keyed(cells)
    report = red_team.Report()
    red_team.linear(report, "candidate", keyed, relations)
    red_team.linked(report, "candidate", keyed)
    secret = set(keyed.loc[_secret(keyed, true_values), "key"])
    left = [r.cell for r in report.recoveries if r.cell in secret]
    if left:
        figure, programme, period, _ = left[0].split("#", 3)
        cell = {"figure": figure, "programme": programme, "period": period}
        raise AuditFailure(
            f"withheld cell {figure} / {programme} / {period} can be solved for from the published cells", cell
        )
    return cells


def _grow_one(grow: np.ndarray, units: Units, candidates: np.ndarray) -> bool:
    """Mark the candidate with the fewest people (but more than none) to be withheld; where
    all are zeros, all of them (the whole breakdown). False when there is no candidate."""
    if not len(candidates):
        return False
    people = units.people[candidates]
    if (people > 0).any():
        grow[candidates[people > 0][np.argmin(people[people > 0])]] = True
    else:
        grow[candidates] = True
    return True


def _subsets(cells: pd.DataFrame, reason: pd.Series, k: int) -> pd.Series:
    """Withhold a published subset count whose published whole differs from it by 1 … K−1."""
    key = cells["programme"].astype(str) + "#" + cells["period"].astype(str) + "#" + cube.dims_key(cells)
    exempt = cube.is_headline(cells)
    for part, whole in cube.subsets():
        p = cells["figure"] == part
        w = cells["figure"] == whole
        whole_value = pd.Series(cells.loc[w, "value"].to_numpy(), index=key[w].to_numpy())
        whole_open = pd.Series(reason[w].isna().to_numpy(), index=key[w].to_numpy())
        diff = whole_value.reindex(key[p]).to_numpy() - cells.loc[p, "value"].to_numpy()
        open_ = whole_open.reindex(key[p]).fillna(False).to_numpy(dtype=bool)
        bad = open_ & reason[p].isna().to_numpy() & (diff > 0) & (diff < k) & ~exempt[p].to_numpy()
        idx = cells.index[p][bad]
        reason[idx] = "complementary"
    return reason
