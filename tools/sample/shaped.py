"""The four volunteer programmes: the same machinery as NT-CARE, each in its own shape
(programmes.toml): volunteers and their service records, and for some the children they serve,
medical aid paid to them and the fund that gives for it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from tools.sample.people import People
from tools.sample.reference import AS_OF, PROGRAMMES, REGIONS, SHAPED, VolunteerShape, label
from tools.sample.rows import Raw, children_frame, days, pick, service_rows, volunteer_people


def shaped_programme(raw: Raw, people: People, rng: np.random.Generator, unit: int, shape: VolunteerShape) -> None:
    """One copy of a volunteer programme's rows, added to raw."""
    spec = next(p for p in PROGRAMMES if p.code == shape.code)
    county_codes = [c for c, _, _ in REGIONS[spec.city][2]]
    concentration = np.full(len(county_codes), SHAPED["county_concentration"])
    weights = {c: w for c, w in zip(county_codes, rng.dirichlet(concentration), strict=True)}
    prefix = f"{shape.code[:2]}{unit:04d}"
    children = _children(raw, people, rng, prefix, shape, weights) if shape.children else None
    n_v = shape.volunteers
    v_counties = pick(rng, weights, n_v)
    names, ids, phones, _ = volunteer_people(people, rng, n_v, v_counties, phone_only=SHAPED["phone_only"])
    types = pick(rng, shape.types, n_v)
    volunteer = np.concatenate([np.arange(n_v), rng.integers(0, n_v, shape.records - n_v)])
    activities = pick(rng, shape.activities, len(volunteer))
    dates = days(rng, shape.first, AS_OF, len(volunteer))
    child_ids, record_counties = [], []
    for v in volunteer:
        if children is not None and rng.random() < shape.reach:
            c = int(rng.integers(0, len(children)))
            child_ids.append(children["id_no"][c])
            record_counties.append(children["county"][c] if children["county"][c].isdigit() else v_counties[v])
        else:
            child_ids.append("")
            record_counties.append(v_counties[v])
    raw.add(
        "volunteer_hours",
        service_rows(
            rng,
            f"{prefix}-V",
            shape.code,
            volunteer,
            names,
            ids,
            phones,
            types,
            v_counties,
            activities,
            dates,
            child_ids,
            np.array(record_counties),
        ),
    )


def _children(raw: Raw, people: People, rng, prefix: str, shape: VolunteerShape, weights) -> pd.DataFrame:
    """The programme's children (added to raw, and returned), and its medical aid if it pays any."""
    n = shape.children
    stages = pick(rng, SHAPED["stages"], n)
    enrolled = days(rng, shape.first, SHAPED["enrolled_until"], n)
    low, high = SHAPED["exit_after_days"]
    exited = [
        e + dt.timedelta(days=int(rng.integers(low, high))) if rng.random() < SHAPED["exit_share"] else None
        for e in enrolled
    ]
    exited = [x if x and x <= AS_OF else None for x in exited]
    counties = pick(rng, weights, n)
    children, _ = children_frame(
        people,
        rng,
        shape.code,
        counties,
        stages,
        enrolled,
        exited,
        rng.random(n) < SHAPED["paired_share"],
        pick(rng, shape.categories, n),
    )
    raw.add("children", children)
    if shape.aid:
        _medical_aid(raw, rng, prefix, shape, children, stages, enrolled)
    return children


def _medical_aid(raw: Raw, rng, prefix: str, shape: VolunteerShape, children, stages, enrolled) -> None:
    """Medical aid paid to the programme's children, and the fund's gifts that pay for it."""
    aid, fund = shape.aid, shape.fund
    m = aid["payments"]
    who = rng.integers(0, shape.children, m)
    raw.add(
        "disbursements",
        pd.DataFrame(
            {
                "payment_no": [f"{prefix}-P{i:05d}" for i in range(m)],
                "paid_on": [max(enrolled[w], aid["paid_from"]).isoformat() for w in who],
                "id_no": children["id_no"].to_numpy()[who],
                "name": children["name"].to_numpy()[who],
                "stage": [label("stage", s) for s in stages[who]],
                "school_year": "",
                "amount": [f"{a:.2f}" for a in rng.integers(*aid["amount_yuan"], m)],
                "purpose": aid["purpose"],
                "county": "",
                "programme": shape.code,
            }
        ),
    )
    g = fund["gifts"]
    first = fund["first"]
    quarters = [(first.month - 1 + 3 * i) for i in range(g)]
    raw.add(
        "donations",
        pd.DataFrame(
            {
                "receipt_no": [f"{prefix}-D{i:03d}" for i in range(g)],
                "donated_on": [dt.date(first.year + q // 12, q % 12 + 1, first.day).isoformat() for q in quarters],
                "amount": [f"{a:.2f}" for a in rng.integers(*fund["amount_yuan"], g)],
                "kind": "",
                "channel": fund["channel"],
                "donor_type": label("donor_type", fund["donor_type"]),
                "donor_name": fund["donor_name"],
                "donor_phone": fund["phone_area"] + f"{int(rng.integers(0, 10**7)):07d}",
                "programme": shape.code,
            }
        ),
    )
