"""Programmes of every shape the real ones have (../shared/context/programmes.md), built as
code: a fund that raises and pays, a volunteer-only hospital plan, a corps that never handles
money, a fundraiser that has paid nothing yet, one month of data, fewer than K children, a
single large donor, a programme that starts after the others have reported.

Each shape is a recipe of how many rows of each kind and over which days; ``frames`` turns a
list of shapes into raw files as staff would type them (Chinese labels, county names), with
the sample's regions and a programmes file naming each shape. Tests compute every expectation
from these frames, never from typed numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from portal.vocab import vocabulary
from tests.factories import COUNTIES, reference_frames
from tools.sample import People

FIRST = dt.date(2022, 1, 1)
LAST = dt.date(2023, 12, 31)


@dataclass(frozen=True)
class Shape:
    code: str
    first: dt.date = FIRST
    last: dt.date = LAST
    children: int = 0  # on the register
    disbursements: int = 0  # payments to registered children
    donations: int = 0
    donors: int = 0  # named donors behind the donations (0: all anonymous)
    records: int = 0  # volunteer check-ins
    volunteers: int = 0
    counties: int = 3
    channels: tuple[str, ...] = ("腾讯公益", "慈善一日捐", "银行转账")
    donor_types: tuple[str, ...] = ("个人", "企业")
    refunds: int = 0
    families: frozenset[str] = field(default_factory=frozenset)  # set in __post_init__

    def __post_init__(self):
        families = set()
        if self.donations:
            families.add("donations")
        if self.disbursements:
            families.add("disbursements")
        if self.children:
            families.add("register")
        if self.records:
            families.add("service")
        object.__setattr__(self, "families", frozenset(families))


# one of each shape in programmes.md; codes say the shape
FULL = Shape("SH-FULL", children=90, disbursements=400, donations=300, donors=60, records=300, volunteers=40)
VOLUNTEERS_ONLY = Shape("SH-VOLUNTEERS", records=260, volunteers=35)  # the Changzhou hospital plan
NO_MONEY = Shape("SH-NOMONEY", children=70, records=300, volunteers=30)  # the Linyi corps: never handles money
RAISED_ONLY = Shape("SH-RAISED", donations=200, donors=50)  # a fund that has paid nothing out yet
NO_CHILDREN = Shape("SH-NOCHILD", donations=150, donors=40, records=200, volunteers=25)
NO_VOLUNTEERS = Shape("SH-NOVOL", children=60, disbursements=250, donations=120, donors=30)
PAID_ONLY = Shape("SH-PAID", children=50, disbursements=200)  # funded elsewhere (a hospital's own fund)
ONE_MONTH = Shape(
    "SH-MONTH",
    first=dt.date(2023, 5, 1),
    last=dt.date(2023, 5, 31),
    children=25,
    disbursements=30,
    donations=40,
    donors=12,
    records=30,
    volunteers=12,
)
UNDER_K = Shape("SH-SMALL", children=4, disbursements=9, donations=6, donors=3, records=7, volunteers=3, counties=2)
SINGLE_DONOR = Shape(
    "SH-ONEDONOR",
    children=40,
    disbursements=120,
    donations=12,
    donors=1,
    channels=("银行转账",),
    donor_types=("机关事业单位",),
)
# starts after the others' last day: its periods are ones nobody else has reported for
NEWCOMER = Shape(
    "SH-NEW",
    first=dt.date(2024, 1, 1),
    last=dt.date(2024, 2, 29),
    children=30,
    disbursements=40,
    donations=50,
    donors=20,
    records=60,
    volunteers=15,
)

ALL_SHAPES = (FULL, VOLUNTEERS_ONLY, NO_MONEY, RAISED_ONLY, NO_CHILDREN, NO_VOLUNTEERS, PAID_ONLY, ONE_MONTH, UNDER_K)


def _days(rng: np.random.Generator, shape: Shape, n: int) -> list[str]:
    span = (shape.last - shape.first).days
    return [(shape.first + dt.timedelta(days=int(d))).isoformat() for d in rng.integers(0, span + 1, n)]


def _programmes(shapes) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (
                s.code,
                f"形态{s.code[3:]}项目",
                f"Shape {s.code[3:].title()} programme",
                s.first.isoformat(),
                f"测试用：{s.code}",
                f"for tests: {s.code}",
            )
            for s in shapes
        ],
        columns=["code", "name_zh", "name_en", "started_on", "description_zh", "description_en"],
    )


def frames(shapes, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Raw files for ``shapes`` (reference files first), seeded."""
    rng = np.random.default_rng(seed)
    people = People(rng)
    out = reference_frames()
    out["programmes"] = _programmes(shapes)
    stages = list(vocabulary("stage").codes)[:5]
    categories = list(vocabulary("category").codes)
    counties_all = sorted(COUNTIES)
    parts: dict[str, list[pd.DataFrame]] = {}
    for i, shape in enumerate(shapes):
        counties = counties_all[i * 3 : i * 3 + shape.counties] or counties_all[: shape.counties]
        prefix = f"S{seed}-{i:02d}"
        ids = np.array([], dtype=object)
        child_county = np.array([], dtype=object)
        if shape.children:
            n = shape.children
            child_county = rng.choice(counties, n)
            births = [dt.date(2008, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 3000, n)]
            ids = np.array(people.id_numbers(child_county, births), dtype=object)
            parts.setdefault("children", []).append(
                pd.DataFrame(
                    {
                        "id_no": ids,
                        "name": people.names(n),
                        "county": [COUNTIES[c][0] for c in child_county],
                        "category": [vocabulary("category").label(c, "zh") for c in rng.choice(categories, n)],
                        # enrolled on the shape's first day or soon after, so every payment is inside
                        "enrolled_on": shape.first.isoformat(),
                        "exited_on": "",
                        "paired": np.where(rng.random(n) < 0.7, "是", "否"),
                        "programme": shape.code,
                    }
                )
            )
        if shape.disbursements:
            m = shape.disbursements
            who = rng.integers(0, len(ids), m)
            parts.setdefault("disbursements", []).append(
                pd.DataFrame(
                    {
                        "payment_no": [f"{prefix}-P{j:05d}" for j in range(m)],
                        "paid_on": _days(rng, shape, m),
                        "id_no": ids[who],
                        "stage": [vocabulary("stage").label(s, "zh") for s in rng.choice(stages, m)],
                        "amount": [f"{a / 100:.2f}" for a in rng.integers(50_000, 500_000, m)],
                        "purpose": "助学",
                        "programme": shape.code,
                    }
                )
            )
        if shape.donations:
            m = shape.donations
            pool = max(shape.donors, 1)
            names, phones = people.names(pool), np.array(people.phones_(pool))
            donor = rng.integers(0, pool, m)
            named = np.full(m, shape.donors > 0)
            if shape.donors > 1:
                named = rng.random(m) < 0.7
            kinds = np.array([""] * m, dtype=object)
            amounts = rng.integers(1_000, 5_000_000, m).astype(object)
            for j in range(min(shape.refunds, m)):
                kinds[j] = "退款"
                amounts[j] = -int(amounts[j]) // 10
            parts.setdefault("donations", []).append(
                pd.DataFrame(
                    {
                        "receipt_no": [f"{prefix}-D{j:05d}" for j in range(m)],
                        "donated_on": _days(rng, shape, m),
                        "amount": [f"{a / 100:.2f}" for a in amounts],
                        "kind": kinds,
                        "channel": rng.choice(list(shape.channels), m),
                        "donor_type": rng.choice(list(shape.donor_types), m),
                        "donor_name": np.where(named, names[donor], ""),
                        "donor_phone": np.where(named, phones[donor], ""),
                        "programme": shape.code,
                    }
                )
            )
        if shape.records:
            m, nv = shape.records, shape.volunteers
            v_ids = people.id_numbers(rng.choice(counties, nv), [dt.date(1980, 1, 1)] * nv)
            v_names = people.names(nv)
            vol = np.concatenate([np.arange(min(nv, m)), rng.integers(0, nv, max(m - nv, 0))])[:m]
            names_child = (rng.random(m) < 0.5) & (len(ids) > 0)
            child = rng.integers(0, max(len(ids), 1), m)
            parts.setdefault("volunteer_hours", []).append(
                pd.DataFrame(
                    {
                        "record_no": [f"{prefix}-V{j:05d}" for j in range(m)],
                        "volunteer_name": v_names[vol],
                        "volunteer_id_no": np.array(v_ids)[vol],
                        "volunteer_type": rng.choice(["党员", "学生", "爱心妈妈"], m),
                        "county": [COUNTIES[c][0] for c in rng.choice(counties, m)],
                        "served_on": _days(rng, shape, m),
                        "hours": [f"{h / 2:g}" for h in rng.integers(1, 9, m)],
                        "activity": rng.choice(["入户走访", "学习辅导", "夏令营"], m),
                        "child_id_no": np.where(names_child, ids[child] if len(ids) else "", ""),
                        "programme": shape.code,
                    }
                )
            )
    for kind, frames_of_kind in parts.items():
        out[kind] = pd.concat(frames_of_kind, ignore_index=True)
    # every paying shape has the sample's yearly standards
    standards = out.pop("stage_standards")
    paying = [standards.assign(programme=s.code) for s in shapes if s.disbursements]
    if paying:
        out["stage_standards"] = pd.concat(paying, ignore_index=True)
    return out
