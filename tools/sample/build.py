"""The whole sample from one seeded generator: the reference tables, then one copy of the five
programmes per unit of scale."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from loaders import KINDS
from tools.sample.nt_care import nt_care
from tools.sample.people import People
from tools.sample.reference import DEFAULT_SEED, SHAPES, reference_tables
from tools.sample.rows import Raw
from tools.sample.shaped import shaped_programme

LOAD_ORDER = KINDS  # reference files first, then the data that names them


def units(scale: int, seed: int) -> Iterator[dict[str, pd.DataFrame]]:
    """The reference tables, then one dict of raw tables per copy of the five programmes."""
    rng = np.random.default_rng(seed)
    people = People(rng)
    yield reference_tables()
    for unit in range(scale):
        raw = Raw()
        nt_care(raw, people, rng, unit)
        for shape in SHAPES:
            shaped_programme(raw, people, rng, unit, shape)
        yield {kind: raw.frame(kind) for kind in raw.tables}


def generate(*, scale: int = 1, seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Every raw table of the sample, canonical column names."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for unit in units(scale, seed):
        for kind, frame in unit.items():
            parts.setdefault(kind, []).append(frame)
    return {kind: pd.concat(parts[kind], ignore_index=True) if kind in parts else pd.DataFrame() for kind in LOAD_ORDER}
