"""A small random published store for page tests, written as code and seeded: a Release,
cells for every figure × breakdown × period of a two-year grid (some withheld, some zero),
Labels and Standards. Tests compare what pages show with what this store holds; no value
is ever typed in."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from portal import periods, stores
from portal.db import make_engine
from portal.figures import DATA_FAMILIES, FIGURES
from portal.models.published import Cell, Coverage, Label, Release, ReleaseBatch, Standard
from portal.vocab import DIMENSIONS, VOCAB_DIMENSIONS, vocabulary
from tests.keys import FIXTURE_KEY, trust_key

PROGRAMMES = ("TP-ALPHA", "TP-BETA")
REGIONS = ("990101", "990102", "990103", "990104")
CITY = "990100"
# county names sharing no word or digit with the programmes' names or the vocabularies (a
# search for "Test programme … University year 4" must not find "Test district 4")
DISTRICTS = (("东岸区", "Eastbank"), ("西田区", "Westfield"), ("北门区", "Northgate"), ("南湖区", "Southlake"))


@dataclass
class PageStore:
    url: str
    release_id: str
    k: int
    as_of: dt.date

    @property
    def engine(self):
        return make_engine(self.url, read_only=True)


def _codes(rng: random.Random) -> dict[str, list[str]]:
    out = {"region": list(REGIONS[: rng.randint(2, 4)])}
    for dim in VOCAB_DIMENSIONS:
        codes = list(vocabulary(dim).codes)
        out[dim] = sorted(rng.sample(codes, min(len(codes), rng.randint(2, 3))), key=codes.index)
    return out


def _value(rng: random.Random, unit: str) -> float:
    if unit == "yuan":
        return round(rng.uniform(0, 3e6) if rng.random() < 0.8 else rng.uniform(1e8, 3e8), 2)
    if unit == "fraction":
        return round(rng.random(), 4)
    if unit == "hours":
        return round(rng.uniform(0, 5000), 1)
    return float(rng.randint(0, 3000))


def build(path: Path, *, seed: int = 7, sample: bool = True, as_of: dt.date | None = None) -> PageStore:
    """Write a published store at ``path`` (SQLite) and return where it is."""
    rng = random.Random(seed)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    stores.migrate(engine, "published")
    as_of = as_of or dt.date(2023, 12, 31)
    k = rng.choice((5, 10, 12))
    release_id = f"{as_of.isoformat()}.{rng.randint(1, 3)}"
    grid = ["all", *(p.key for p in periods.grid(dt.date(2022, 1, 1), as_of))]
    rows = []
    with Session(engine) as session:
        session.add(
            Release(
                id=release_id,
                created_at=dt.datetime(2024, 1, 5, 10, 0, tzinfo=dt.UTC),
                as_of=as_of,
                k=k,
                is_sample=sample,
                note="page fixture",
                key_fingerprint=trust_key(FIXTURE_KEY),
            )
        )
        session.commit()
        for programme in PROGRAMMES:
            session.add(
                Label(
                    release_id=release_id,
                    dimension="programme",
                    code=programme,
                    name_zh=f"测试项目{programme[-4:]}",
                    name_en=f"Test programme {programme[-4:]}",
                    started_on=dt.date(2022, 1, 1),
                    description_zh="测试用",
                    description_en="for tests",
                )
            )
            for stage in vocabulary("stage").codes:
                session.add(
                    Standard(
                        release_id=release_id,
                        programme=programme,
                        stage=stage,
                        yearly_yuan=float(rng.randint(10, 80) * 100),
                    )
                )
        session.add(Label(release_id=release_id, dimension="region", code=CITY, name_zh="测试市", name_en="Test City"))
        for i, code in enumerate(REGIONS):
            session.add(
                Label(
                    release_id=release_id,
                    dimension="region",
                    code=code,
                    name_zh=DISTRICTS[i][0],
                    name_en=DISTRICTS[i][1],
                    parent_code=CITY,
                )
            )
        session.add(
            ReleaseBatch(
                release_id=release_id,
                kind="donations",
                file_name="donations.csv",
                sha256="0" * 64,
                rows=100,
                loaded=99,
                rejected=1,
                loaded_at=dt.datetime(2024, 1, 5, 9, 0, tzinfo=dt.UTC),
            )
        )
        session.commit()
    for programme in ("all", *PROGRAMMES):
        codes = _codes(rng)
        for figure in FIGURES:
            for breakdown in figure.breakdowns:
                combos = list(itertools.product(*(codes[d] for d in breakdown))) if breakdown else [()]
                for period in grid:
                    for combo in combos:
                        # headlines are always published (privacy.md); an all-time total is not
                        # zero (the programme has that figure at all)
                        withheld = bool(breakdown) and rng.random() < 0.2
                        zero = not withheld and rng.random() < 0.05 and (bool(breakdown) or period != "all")
                        row = {
                            "release_id": release_id,
                            "figure": figure.key,
                            "programme": programme,
                            "period": period,
                            "value": None if withheld else (0.0 if zero else _value(rng, figure.unit)),
                            "status": "withheld" if withheld else "published",
                            "reason": rng.choice(("primary", "dominance", "complementary")) if withheld else None,
                            **dict.fromkeys(DIMENSIONS),
                        }
                        row.update(dict(zip(breakdown, combo, strict=True)))
                        rows.append(row)
    first = dt.date(2022, 1, 1)
    coverage = [
        dict(release_id=release_id, programme=p, family=f, first_day=first, last_day=as_of)
        for p in ("all", *PROGRAMMES)
        for f in DATA_FAMILIES
    ]
    with engine.begin() as connection:
        connection.execute(insert(Cell), rows)
        connection.execute(insert(Coverage), coverage)
    engine.dispose()
    return PageStore(url=url, release_id=release_id, k=k, as_of=as_of)


def build_empty(path: Path) -> str:
    """A published store with its schema and no release."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    stores.migrate(engine, "published")
    engine.dispose()
    return url
