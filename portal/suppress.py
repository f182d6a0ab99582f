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
- complementary: in every relation "total = sum of parts" whose total is published (a
  breakdown and its total, region × stage against region and stage totals, a year against its
  quarters, a quarter against its months, all time against the years, all programmes against
  each programme), a withheld part never stands alone: further parts are withheld, smallest
  first, until the withheld parts cover at least K people; a withheld total keeps at least one
  part withheld. Iterated over every relation to a fixed point. Where the parts run out
  below a headline (which never gives way), the whole breakdown is withheld, zeros included.
Zero is a true zero and is shown, unless it must stand in for a part of a withheld breakdown.

Suppression works on *units*: the cells of one programme × period × dimensions that share a
people count (funds disbursed, child-times, children served and average per child are one
unit; volunteers, hours and home visits another...). A unit is withheld or published as a
whole (linked tables), so money never reveals the count it stands beside.

The audit then derives, for every additive figure (sums of money, hours, rows), the tightest
interval each withheld cell can be pinned to from the published cells by propagating the
same linear relations with non-negativity to a fixed point, and fails if a withheld cell is
narrower than its protection interval. It also fails if two published views of the people in
care differ by 1 … K−1 people. ``AuditFailure`` names the cell."""

from __future__ import annotations

import numpy as np
import pandas as pd

from portal import periods
from portal.figures import BY_KEY
from portal.vocab import DIMENSIONS

MIN_K = 5
# a threshold above any group a children's programme has: a larger K withholds everything, and
# a K of twenty digits is a typo, not a policy
MAX_K = 1000
DOMINANCE_ONE = 0.50
DOMINANCE_TWO = 0.67
# A withheld cell must stay uncertain over an interval at least this share of its value wide
# (and at least one unit: a fen, a second, a row).
PROTECTION_SHARE = 0.10
_MAX_ROUNDS = 200
_AUDIT_ROUNDS = 60
_REPAIR_ROUNDS = 30
# Paired children are a subset of the children in care: the difference is a group of people.
SUBSETS = (("children_paired", "children_in_care"),)


class AuditFailure(Exception):
    """A withheld cell can be pinned down from what would be published; names the cell."""

    def __init__(self, message: str, cell: dict | None = None):
        super().__init__(message)
        self.cell = cell or {}


# ---------------------------------------------------------------------------------------------
# Figures → units
# ---------------------------------------------------------------------------------------------


def _group_of(figure: str) -> str | None:
    """Figures sharing a people count in one family share one suppression pattern."""
    f = BY_KEY[figure]
    if f.family == "ledger":
        return None
    if f.guarded_by:
        return f"{f.family}:{f.guarded_by}"
    if f.dominance:
        return f"{f.family}:{f.key}"
    return None  # never withheld (a count of rows with no people count of its own)


def _is_additive(figure: str) -> bool:
    """Sums over rows: a total is exactly the sum of its parts (money, hours, row counts)."""
    f = BY_KEY[figure]
    return bool(f.aggregate) and "DISTINCT" not in f.aggregate.upper() and not f.to_date


def _scale_to_integer(figure: str) -> float:
    """Published unit → the exact integer the figure is summed in (fen, seconds, rows)."""
    return BY_KEY[figure].scale


def _exempt(cells: pd.DataFrame) -> pd.Series:
    """Headline cells: a figure's total with no breakdown, for a programme or all programmes,
    in any period. Always published, exactly (privacy.md): no rule withholds one, and every
    check takes them as known."""
    return cells[list(DIMENSIONS)].isna().all(axis=1)


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str)


def _dims_key(frame: pd.DataFrame) -> pd.Series:
    key = _text(frame[DIMENSIONS[0]])
    for d in DIMENSIONS[1:]:
        key = key + "|" + _text(frame[d])
    return key


def _key(group: pd.Series, programme: pd.Series, period: pd.Series, dims: pd.Series) -> pd.Series:
    return group + "#" + programme.astype(str) + "#" + period.astype(str) + "#" + dims


def _parent_period(key: str) -> str | None:
    kind = periods.period_type(key)
    if kind == "year":
        return periods.ALL
    if kind == "quarter":
        return key[:4]
    if kind == "month":
        return f"{key[:4]}-Q{(int(key[5:7]) - 1) // 3 + 1}"
    return None


class Units:
    """One row per unit (group × programme × period × dimensions), with the parent of each
    unit in every relation type: ``parents[type]`` is an array of unit indices (−1: none)."""

    def __init__(self, cells: pd.DataFrame):
        group = cells["figure"].map(_group_of)
        self.cell_group = group
        dims = _dims_key(cells)
        self.cell_key = _key(group.fillna(""), cells["programme"], cells["period"], dims)
        has = group.notna()
        frame = pd.DataFrame(
            {
                "key": self.cell_key[has],
                "group": group[has],
                "programme": cells.loc[has, "programme"].astype(str),
                "period": cells.loc[has, "period"].astype(str),
                "dims": dims[has],
                "people": cells.loc[has, "people"] if "people" in cells else np.nan,
                "exempt": _exempt(cells)[has],
            }
        )
        for d in DIMENSIONS:
            frame[d] = _text(cells.loc[has, d])
        # units without a people count of their own (funds raised) are protected by the
        # number of gifts behind them
        donations = cells["figure"] == "donations"
        gifts = pd.Series(
            cells.loc[donations, "value"].to_numpy(),
            index=(
                "donations:funds_raised#"
                + cells.loc[donations, "programme"].astype(str)
                + "#"
                + cells.loc[donations, "period"].astype(str)
                + "#"
                + dims[donations]
            ).to_numpy(),
        )
        frame = frame.groupby("key", sort=False).agg(
            {
                "group": "first",
                "programme": "first",
                "period": "first",
                "dims": "first",
                "people": "max",
                "exempt": "any",
                **{d: "first" for d in DIMENSIONS},
            }
        )
        missing = frame["people"].isna()
        frame.loc[missing, "people"] = gifts.reindex(frame.index[missing]).to_numpy()
        self.frame = frame.sort_index().reset_index()  # deterministic whatever the row order
        self.index = pd.Index(self.frame["key"])
        self.people = self.frame["people"].fillna(0).to_numpy(dtype="float64")
        # headlines (no breakdown, any period, a programme or all): never withheld, never a candidate
        self.exempt = self.frame["exempt"].to_numpy(dtype=bool)
        self.parents = self._parents()

    def __len__(self) -> int:
        return len(self.frame)

    def lookup(self, keys: pd.Series) -> np.ndarray:
        return self.index.get_indexer(keys)

    def _parents(self) -> dict[str, np.ndarray]:
        f = self.frame
        parents: dict[str, np.ndarray] = {}
        n = len(f)
        for d in DIMENSIONS:
            rows = f[d] != ""
            if not rows.any():
                continue
            blanked = f.loc[rows, list(DIMENSIONS)].copy()
            blanked[d] = ""
            dims = blanked[DIMENSIONS[0]]
            for other in DIMENSIONS[1:]:
                dims = dims + "|" + blanked[other]
            parent = np.full(n, -1)
            parent[rows.to_numpy()] = self.lookup(
                _key(f.loc[rows, "group"], f.loc[rows, "programme"], f.loc[rows, "period"], dims)
            )
            parents[f"breakdown:{d}"] = parent
        # periods: only where a period's value is the sum of its sub-periods' (flows of sums)
        flows = {g for g in f["group"].unique() if _group_is_flow(g)}
        mapping = {p: _parent_period(p) for p in f["period"].unique()}
        up = f["period"].map(mapping)
        rows = up.notna() & f["group"].isin(flows)
        parent = np.full(n, -1)
        parent[rows.to_numpy()] = self.lookup(
            _key(f.loc[rows, "group"], f.loc[rows, "programme"], up[rows], f.loc[rows, "dims"])
        )
        parents["period"] = parent
        rows = f["programme"] != "all"
        parent = np.full(n, -1)
        all_programmes = pd.Series("all", index=f.index[rows])
        parent[rows.to_numpy()] = self.lookup(
            _key(f.loc[rows, "group"], all_programmes, f.loc[rows, "period"], f.loc[rows, "dims"])
        )
        parents["programme"] = parent
        return parents


def _group_is_flow(group: str) -> bool:
    """A group whose figures include a sum over rows: its periods add up."""
    family = group.split(":", 1)[0]
    return any(_is_additive(f.key) for f in BY_KEY.values() if f.family == family and _group_of(f.key) == group)


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
        grow = _grow_around(units, withheld, np.flatnonzero(pinned))
        if not grow.any():
            break  # nothing left to withhold: the audit names the cell
        withheld |= grow
    return withheld & ~start


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
        exempt = _exempt(cells)
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
        unit_of_cell = units.lookup(units.cell_key.where(units.cell_group.notna(), "\0"))
        in_unit = unit_of_cell >= 0
        withheld = np.zeros(len(units), dtype=bool)
        withheld[unit_of_cell[in_unit & reason.notna().to_numpy()]] = True
        # one pattern per unit: a cell of a withheld unit is withheld (first reason found)
        unit_reason = (
            pd.Series(reason[in_unit].to_numpy(), index=unit_of_cell[in_unit]).dropna().groupby(level=0).first()
        )
        sensitive = withheld.copy()
        added = _protect(units, withheld, sensitive, k, _additives(units, unit_of_cell, cells, cells["value"]))
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
        cells = _harden(cells, true_values, k)
        run_audit(cells, true_values, k=k)
    return cells


_HARDEN_ROUNDS = 12
_OWN_REASONS = ("primary", "dominance", "geography")


def _secret(cells: pd.DataFrame, true_values: pd.Series) -> pd.Series:
    """Cells withheld for their own sake; a non-public county's true zero is not a secret
    (zero is a true zero: that nothing happened there is not what the geography rule hides)."""
    own = cells["reason"].isin(_OWN_REASONS)
    return own & ~((cells["reason"] == "geography") & (true_values.reindex(cells.index) == 0))


def _harden(cells: pd.DataFrame, true_values: pd.Series, k: int) -> pd.DataFrame:
    """Attack the candidate release as the red team does (every relation of every additive
    figure as one linear system, and the linked figures); where a cell withheld for its own
    sake can be solved for, withhold more of its relations' parts (the smallest published
    sibling in each, or the parent where there is none), protect the relations again, and
    attack again. The relation-by-relation interval audit misses what equations combined
    reveal; this does not."""
    from portal import red_team

    for _ in range(_HARDEN_ROUNDS):
        keyed = red_team.keyed(cells)
        report = red_team.Report()
        red_team.linear(report, "candidate", keyed)
        red_team.linked(report, "candidate", keyed)
        found = {r.cell for r in report.recoveries}
        rows = keyed.index[(keyed["key"].isin(found) & _secret(keyed, true_values)).to_numpy()]
        if not len(rows):
            return cells
        units = Units(cells)
        unit_of_cell = units.lookup(units.cell_key.where(units.cell_group.notna(), "\0"))
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
    red_team.linear(report, "candidate", keyed)
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
    key = cells["programme"].astype(str) + "#" + cells["period"].astype(str) + "#" + _dims_key(cells)
    exempt = _exempt(cells)
    for part, whole in SUBSETS:
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


# ---------------------------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------------------------


def _describe(cells: pd.DataFrame, i) -> dict:
    row = cells.loc[i]
    dims = {d: row[d] for d in DIMENSIONS if isinstance(row[d], str)}
    return {"figure": row["figure"], "programme": row["programme"], "period": row["period"], **dims}


def _name(cell: dict) -> str:
    dims = ", ".join(f"{d}={cell[d]}" for d in DIMENSIONS if d in cell) or "total"
    return f"{cell['figure']} / {cell['programme']} / {cell['period']} / {dims}"


def intervals(
    values: np.ndarray, published: np.ndarray, parents: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The interval each term can be pinned to: published terms are known, withheld ones are
    ≥ 0, and every relation says total = sum of parts. Bounds are tightened relation by
    relation to a fixed point (interval constraint propagation: single subtraction, and
    chains through breakdowns, periods and programmes)."""
    n = len(values)
    lo = np.where(published, values, 0.0)
    hi = np.where(published, values, np.inf)
    relations = []
    for parent in parents.values():
        idx = np.flatnonzero(parent >= 0)
        if len(idx):
            relations.append((idx, parent[idx]))
    for _ in range(_AUDIT_ROUNDS):
        changed = False
        for idx, par in relations:
            infinite = np.isinf(hi[idx])
            finite_hi = np.where(infinite, 0.0, hi[idx])
            s_lo = np.bincount(par, weights=lo[idx], minlength=n)
            s_hi = np.bincount(par, weights=finite_hi, minlength=n)
            n_inf = np.bincount(par, weights=infinite, minlength=n)
            has = np.bincount(par, minlength=n) > 0
            # the total lies between the sums of its parts' bounds
            t_hi = np.where(has & (n_inf == 0), np.minimum(hi, s_hi), hi)
            t_lo = np.where(has, np.maximum(lo, s_lo), lo)
            # a part is the total minus the others
            others_hi = np.where(n_inf[par] - infinite > 0, np.inf, s_hi[par] - finite_hi)
            others_lo = s_lo[par] - lo[idx]
            p_lo = np.maximum(lo[idx], t_lo[par] - others_hi)
            p_hi = np.minimum(hi[idx], t_hi[par] - others_lo)
            new_lo, new_hi = t_lo, t_hi
            new_lo[idx] = np.maximum(new_lo[idx], p_lo)
            new_hi[idx] = np.minimum(new_hi[idx], p_hi)
            new_lo = np.maximum(new_lo, 0.0)
            if (new_lo > lo + 0.5).any() or (new_hi < hi - 0.5).any():
                changed = True
            lo, hi = new_lo, new_hi
        if not changed:
            break
    return lo, hi


class _Additive:
    """The exact integer values of one additive figure on the units, and its relations."""

    def __init__(self, figure: str, units: Units, unit_of_cell: np.ndarray, cells: pd.DataFrame, true_values):
        n = len(units)
        self.figure = figure
        self.scale = _scale_to_integer(figure)
        self.rows = np.flatnonzero((cells["figure"] == figure).to_numpy() & (unit_of_cell >= 0))
        self.units = unit_of_cell[self.rows]
        self.present = np.zeros(n, dtype=bool)
        self.present[self.units] = True
        self.values = np.zeros(n)
        self.values[self.units] = np.round(np.asarray(true_values, dtype="float64")[self.rows] * self.scale)
        self.parents = {}
        for name, parent in units.parents.items():
            ok = self.present & (parent >= 0)
            ok[ok] &= self.present[parent[ok]]
            self.parents[name] = np.where(ok, parent, -1)
        # what the exact organisation totals alone pin down (a programme's only channel equals
        # its total) is published by design, not by a gap in the pattern
        exact = self.present & units.exempt
        lo, hi = intervals(self.values, exact, self.parents)
        self.by_design = hi - lo < 1.0

    def pinned(self, withheld: np.ndarray, sensitive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Withheld units pinned closer than their protection interval: within PROTECTION_SHARE
        of the value (at least one fen, second or row) for a cell withheld for its own sake
        (primary, dominance, geography)."""
        published = self.present & ~withheld
        if not (self.present & withheld).any():
            return np.zeros(len(withheld), dtype=bool), None, None
        lo, hi = intervals(self.values, published, self.parents)
        # a cell withheld only to protect another (complementary) may turn out derivable, e.g.
        # the one part of a breakdown equals its exact total: that tells nothing, and the
        # propagation already counts such a cell as known when it bounds the sensitive ones
        need = np.where(sensitive, np.maximum(1.0, PROTECTION_SHARE * self.values), 0.0)
        pinned = self.present & withheld & (self.values > 0) & (hi - lo < need) & ~self.by_design
        return pinned, lo, hi


def _additives(units: Units, unit_of_cell: np.ndarray, cells: pd.DataFrame, true_values) -> list[_Additive]:
    figures = [f for f in cells["figure"].unique() if _is_additive(f) and _group_of(f) is not None]
    return [_Additive(f, units, unit_of_cell, cells, true_values) for f in sorted(figures)]


def run_audit(cells: pd.DataFrame, true_values: pd.Series, *, k: int) -> None:
    """Fail (AuditFailure naming the cell) if a withheld cell can be pinned down."""
    withheld_cells = cells["status"].to_numpy() == "withheld"
    if withheld_cells.any():
        units = Units(cells)
        unit_of_cell = units.lookup(units.cell_key.where(units.cell_group.notna(), "\0"))
        n = len(units)
        in_unit = unit_of_cell >= 0
        sensitive = np.zeros(n, dtype=bool)
        own = cells["reason"].isin(["primary", "dominance", "geography"]).to_numpy()
        sensitive[unit_of_cell[in_unit & own]] = True
        for additive in _additives(units, unit_of_cell, cells, true_values):
            # this figure's own statuses: a unit may have been published in part
            withheld = np.zeros(n, dtype=bool)
            withheld[additive.units] = withheld_cells[additive.rows]
            pinned, lo, hi = additive.pinned(withheld, sensitive)
            if pinned.any():
                at = np.flatnonzero(pinned[additive.units])[0]
                unit = additive.units[at]
                cell = _describe(cells, cells.index[additive.rows[at]])
                # the bounds stay out of the message (it may reach a log): they are attributes
                failure = AuditFailure(f"withheld cell {_name(cell)} can be pinned down from the published cells", cell)
                failure.bounds = (lo[unit] / additive.scale, hi[unit] / additive.scale)
                raise failure
    _audit_subsets(cells, k)


def _audit_subsets(cells: pd.DataFrame, k: int) -> None:
    """No two published views (a count and its subset) differ by a group of 1 … K−1 people."""
    published = cells["status"] == "published"
    exempt = _exempt(cells)
    key = cells["programme"].astype(str) + "#" + cells["period"].astype(str) + "#" + _dims_key(cells)
    for part, whole in SUBSETS:
        p = (cells["figure"] == part) & published & ~exempt
        w = (cells["figure"] == whole) & published
        whole_value = pd.Series(cells.loc[w, "value"].to_numpy(), index=key[w].to_numpy())
        diff = whole_value.reindex(key[p]).to_numpy() - cells.loc[p, "value"].to_numpy()
        bad = (diff > 0) & (diff < k)
        if bad.any():
            cell = _describe(cells, cells.index[p][np.flatnonzero(bad)[0]])
            raise AuditFailure(f"published cell {_name(cell)} differs from {whole} by fewer than {k} people", cell)
