"""Random raw rows for tests, written as code and seeded (Datasette's fixtures habit).

Frames use the loaders' canonical columns and the values staff type (Chinese labels, county
names); expectations in tests are computed from these same frames, never typed in."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from portal.vocab import vocabulary
from tools.sample import PROGRAMMES, REGIONS, People, reference_tables

COUNTIES = {code: (zh, city) for city, (_, _, counties) in REGIONS.items() for code, zh, _ in counties}


def reference_frames() -> dict[str, pd.DataFrame]:
    """Programmes, regions and standards exactly as the sample ships them."""
    return reference_tables()


def _dates(rng, start: dt.date, end: dt.date, n: int) -> list[str]:
    span = (end - start).days
    return [(start + dt.timedelta(days=int(d))).isoformat() for d in rng.integers(0, span + 1, n)]


def random_raw(
    seed: int, *, children: int = 120, disbursements: int = 400, donations: int = 300, records: int = 400
) -> dict[str, pd.DataFrame]:
    """A small random deployment over two programmes and a handful of counties: some cells
    big, many small, so suppression has work to do."""
    rng = np.random.default_rng(seed)
    people = People(rng)
    frames = reference_frames()
    programmes = [p.code for p in PROGRAMMES[:2]]
    counties = [c for c in COUNTIES if COUNTIES[c][1] in ("320600", "371300")][:6]
    stages = list(vocabulary("stage").codes)[:5]
    categories = list(vocabulary("category").codes)

    # children: register, some exited
    c_prog = rng.choice(programmes, children)
    c_county = rng.choice(counties, children)
    births = [dt.date(2008, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 3000, children)]
    ids = people.id_numbers(c_county, births)
    enrolled = _dates(rng, dt.date(2021, 1, 1), dt.date(2023, 6, 30), children)
    exited = [
        (dt.date.fromisoformat(e) + dt.timedelta(days=int(rng.integers(30, 400)))).isoformat()
        if rng.random() < 0.2
        else ""
        for e in enrolled
    ]
    frames["children"] = pd.DataFrame(
        {
            "id_no": ids,
            "name": people.names(children),
            "county": [COUNTIES[c][0] for c in c_county],
            "category": [vocabulary("category").label(c, "zh") for c in rng.choice(categories, children)],
            "enrolled_on": enrolled,
            "exited_on": exited,
            "paired": np.where(rng.random(children) < 0.7, "是", "否"),
            "programme": c_prog,
        }
    )
    # disbursements to registered children of the same programme
    who = rng.integers(0, children, disbursements)
    frames["disbursements"] = pd.DataFrame(
        {
            "payment_no": [f"T{seed}-P{i:05d}" for i in range(disbursements)],
            "paid_on": _dates(rng, dt.date(2021, 1, 1), dt.date(2023, 12, 31), disbursements),
            "id_no": np.array(ids)[who],
            "stage": [vocabulary("stage").label(s, "zh") for s in rng.choice(stages, disbursements)],
            "amount": [f"{a / 100:.2f}" for a in rng.integers(50_000, 500_000, disbursements)],
            "purpose": "助学",
            "programme": c_prog[who],
        }
    )
    # donations, a pool of donors, some anonymous
    pool_names, pool_phones = people.names(80), np.array(people.phones_(80))
    donor = rng.integers(0, 80, donations)
    anonymous = rng.random(donations) < 0.3
    frames["donations"] = pd.DataFrame(
        {
            "receipt_no": [f"T{seed}-D{i:05d}" for i in range(donations)],
            "donated_on": _dates(rng, dt.date(2021, 1, 1), dt.date(2023, 12, 31), donations),
            "amount": [f"{a / 100:.2f}" for a in rng.integers(1_000, 5_000_000, donations)],
            "channel": rng.choice(["腾讯公益", "慈善一日捐", "银行转账"], donations),
            "donor_type": rng.choice(["个人", "企业"], donations),
            "donor_name": np.where(anonymous, "", pool_names[donor]),
            "donor_phone": np.where(anonymous, "", pool_phones[donor]),
            "programme": rng.choice(programmes, donations),
        }
    )
    # volunteer check-ins, some naming a registered child
    v_ids = people.id_numbers(rng.choice(counties, 40), [dt.date(1980, 1, 1)] * 40)
    vol = rng.integers(0, 40, records)
    child = rng.integers(0, children, records)
    names_child = rng.random(records) < 0.5
    frames["volunteer_hours"] = pd.DataFrame(
        {
            "record_no": [f"T{seed}-V{i:05d}" for i in range(records)],
            "volunteer_name": people.names(40)[vol],
            "volunteer_id_no": np.array(v_ids)[vol],
            "volunteer_type": rng.choice(["党员", "学生", "爱心妈妈"], records),
            "county": [COUNTIES[c][0] for c in rng.choice(counties, records)],
            "served_on": _dates(rng, dt.date(2021, 1, 1), dt.date(2023, 12, 31), records),
            "hours": [f"{h / 2:g}" for h in rng.integers(1, 9, records)],
            "activity": rng.choice(["入户走访", "学习辅导", "夏令营"], records),
            "child_id_no": np.where(names_child, np.array(ids)[child], ""),
            "programme": np.where(names_child, c_prog[child], rng.choice(programmes, records)),
        }
    )
    return frames
