"""The interval audit of a suppression pattern (privacy.md).

For every figure that adds up (sums of money, hours, rows: ``cube.adds_up``), the tightest
interval each withheld cell can be pinned to from the published cells is derived by
propagating the cube's relations "total = Σ parts" with non-negativity to a fixed point; the
audit fails if a cell withheld for its own sake is narrower than its protection interval. It
also fails if two published views of the people in care differ by 1 … K−1 people (a count and
its subset: ``cube.subsets``). ``AuditFailure`` names the cell."""

from __future__ import annotations

import numpy as np
import pandas as pd

from portal import cube, figures
from portal.units import Units, group_of
from portal.vocab import DIMENSIONS

# A withheld cell must stay uncertain over an interval at least this share of its value wide
# (and at least one unit: a fen, a second, a row).
PROTECTION_SHARE = 0.10
_AUDIT_ROUNDS = 60
# reasons a cell is withheld for its own sake (not only to protect another)
OWN_REASONS = ("primary", "dominance", "geography")


class AuditFailure(Exception):
    """A withheld cell can be pinned down from what would be published; names the cell."""

    def __init__(self, message: str, cell: dict | None = None):
        super().__init__(message)
        self.cell = cell or {}


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
        self.scale = figures.BY_KEY[figure].scale  # published unit -> the exact integer (fen, s, rows)
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


def additives(units: Units, unit_of_cell: np.ndarray, cells: pd.DataFrame, true_values) -> list[_Additive]:
    found = [f for f in cells["figure"].unique() if cube.adds_up(f) and group_of(f) is not None]
    return [_Additive(f, units, unit_of_cell, cells, true_values) for f in sorted(found)]


def run_audit(cells: pd.DataFrame, true_values: pd.Series, *, k: int, units: Units | None = None) -> None:
    """Fail (AuditFailure naming the cell) if a withheld cell can be pinned down (``units``:
    the units of these cells' rows, built before suppression, when the caller has them)."""
    withheld_cells = cells["status"].to_numpy() == "withheld"
    if withheld_cells.any():
        units = Units(cells) if units is None else units.again(cells)
        unit_of_cell = units.of_cells()
        n = len(units)
        in_unit = unit_of_cell >= 0
        sensitive = np.zeros(n, dtype=bool)
        own = cells["reason"].isin(OWN_REASONS).to_numpy()
        sensitive[unit_of_cell[in_unit & own]] = True
        for additive in additives(units, unit_of_cell, cells, true_values):
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
    audit_subsets(cells, k)


def audit_subsets(cells: pd.DataFrame, k: int) -> None:
    """No two published views (a count and its subset) differ by a group of 1 … K−1 people."""
    published = cells["status"] == "published"
    exempt = cube.is_headline(cells)
    key = cells["programme"].astype(str) + "#" + cells["period"].astype(str) + "#" + cube.dims_key(cells)
    for part, whole in cube.subsets():
        p = (cells["figure"] == part) & published & ~exempt
        w = (cells["figure"] == whole) & published
        whole_value = pd.Series(cells.loc[w, "value"].to_numpy(), index=key[w].to_numpy())
        diff = whole_value.reindex(key[p]).to_numpy() - cells.loc[p, "value"].to_numpy()
        bad = (diff > 0) & (diff < k)
        if bad.any():
            cell = _describe(cells, cells.index[p][np.flatnonzero(bad)[0]])
            raise AuditFailure(f"published cell {_name(cell)} differs from {whole} by fewer than {k} people", cell)
