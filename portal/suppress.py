"""Small cells kept safe (privacy.md).

Input: the raw cube from publish (one row per cell, with ``people``: the distinct count of
children, volunteers or donors behind the cell, and for money cells the top donors' sums).
Output: the same cells with ``status`` (published | withheld) and ``reason``.

Rules, in order:
- geography: a region not marked public is never published;
- primary: a cell whose people count is 1 … K−1 is withheld, and with it every money, hours
  and average figure of that cell (fixed yearly standards make an amount reveal a count);
- dominance: a money cell where one donor gives > 50 % or two give > 67 % is withheld.
Zero is a true zero and is shown. The organisation-level totals (a programme, or all, over
all time, no breakdown) are always exact."""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_K = 5
DOMINANCE_ONE = 0.50
DOMINANCE_TWO = 0.67


def _exempt(cells: pd.DataFrame) -> pd.Series:
    no_breakdown = cells["breakdown"].map(len) == 0
    return no_breakdown & (cells["period"] == "all")


def apply(cells: pd.DataFrame, *, k: int, public_regions: set[str], enabled: bool = True) -> pd.DataFrame:
    if k < MIN_K:
        raise ValueError(f"k must be at least {MIN_K}")
    cells = cells.copy()
    reason = pd.Series(None, index=cells.index, dtype=object)
    if enabled:
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
        reason[_exempt(cells)] = None
    cells["reason"] = reason
    cells["status"] = np.where(reason.isna(), "published", "withheld")
    cells.loc[cells["status"] == "withheld", "value"] = np.nan
    return cells


class AuditFailure(Exception):
    """A withheld cell can be pinned down from what would be published; names the cell."""
