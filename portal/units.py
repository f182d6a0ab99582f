"""Suppression units: the cells of one programme × period × dimensions that share a people
count (funds disbursed, child-times, children served and average per child are one unit;
volunteers, hours and home visits another...). A unit is withheld or published as a whole
(linked tables), so money never reveals the count it stands beside. Which figures share a
unit comes from the registry; how units relate (total = Σ parts) from ``portal.cube``."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from portal import cube, figures
from portal.vocab import DIMENSIONS


def group_of(figure: str) -> str | None:
    """Figures sharing a people count in one family share one suppression pattern."""
    f = figures.BY_KEY[figure]
    if f.guarded_by:
        return f"{f.family}:{f.guarded_by}"
    if f.dominance:
        return f"{f.family}:{f.key}"
    return None  # never withheld (a count of rows with no people count of its own)


def group_is_flow(group: str) -> bool:
    """A group whose figures include a sum over rows that adds up over periods: its periods add up."""
    return any(cube.adds_up(f.key, cube.PERIOD) for f in figures.FIGURES if group_of(f.key) == group)


class Units:
    """One row per unit (group × programme × period × dimensions), with the parent of each
    unit in every relation type: ``parents[type]`` is an array of unit indices (−1: none)."""

    def __init__(self, cells: pd.DataFrame):
        group = cells["figure"].map(group_of)
        self.cell_group = group
        dims = cube.dims_key(cells)
        self.cell_key = cube.key(group.fillna(""), cells["programme"], cells["period"], dims)
        has = group.notna()
        frame = pd.DataFrame(
            {
                "key": self.cell_key[has],
                "group": group[has],
                "programme": cells.loc[has, "programme"].astype(str),
                "period": cells.loc[has, "period"].astype(str),
                "dims": dims[has],
                "people": cells.loc[has, "people"] if "people" in cells else np.nan,
                "exempt": cube.is_headline(cells)[has],
            }
        )
        text = cube.dims_text(cells.loc[has])
        for d in DIMENSIONS:
            frame[d] = text[d]
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
        self.frame = frame.sort_index().reset_index()  # deterministic whatever the row order
        self.index = pd.Index(self.frame["key"])
        self._own_people = self.frame["people"].to_numpy(dtype="float64")
        self._dims = dims
        self._size_people(cells)
        # headlines (no breakdown, any period, a programme or all): never withheld, never a candidate
        self.exempt = self.frame["exempt"].to_numpy(dtype=bool)
        flows = {g for g in self.frame["group"].unique() if group_is_flow(g)}
        # periods: only where a period's value is the sum of its sub-periods' (flows of sums)
        self.parents = cube.parents(self.frame, head=self.frame["group"], period_rows=self.frame["group"].isin(flows))

    def _size_people(self, cells: pd.DataFrame) -> None:
        """Units without a people count of their own (funds raised) are sized by the count figure
        the registry names (the number of gifts behind them), as ``cells`` give it now."""
        people = pd.Series(self._own_people, index=self.index)
        for figure in figures.FIGURES:
            if figure.sized_by and group_of(figure.key):
                size = cells["figure"] == figure.sized_by
                sizes = pd.Series(
                    cells.loc[size, "value"].to_numpy(),
                    index=cube.key(
                        pd.Series(group_of(figure.key), index=cells.index[size]),
                        cells.loc[size, "programme"],
                        cells.loc[size, "period"],
                        self._dims[size],
                    ).to_numpy(),
                )
                missing = people.isna().to_numpy() & (self.frame["group"] == group_of(figure.key)).to_numpy()
                people[missing] = sizes.reindex(self.index[missing]).to_numpy()
        self.frame["people"] = people.to_numpy()
        self.people = people.fillna(0).to_numpy(dtype="float64")

    def again(self, cells: pd.DataFrame) -> Units:
        """These units over the same ``cells`` as they are now (a round of suppression later):
        the keys and relations stay, the sizes read from count figures are read again."""
        units = copy.copy(self)
        units.frame = self.frame.copy()
        units._size_people(cells)
        return units

    def __len__(self) -> int:
        return len(self.frame)

    def lookup(self, keys: pd.Series) -> np.ndarray:
        return self.index.get_indexer(keys)

    def of_cells(self) -> np.ndarray:
        """Each cell's unit (−1 for a cell in none)."""
        return self.lookup(self.cell_key.where(self.cell_group.notna(), "\0"))
