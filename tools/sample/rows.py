"""What every sample programme's raw rows are made of: seeded draws of dates and weighted codes,
the children's register and the volunteers' service records, as staff would type them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tools.sample.people import People
from tools.sample.reference import AGE_BY_STAGE, COUNTY_NAMES, PEOPLE, SERVICE, label


@dataclass
class Raw:
    """Raw rows per kind, canonical column names, values as staff would type them."""

    tables: dict[str, list[pd.DataFrame]] = field(default_factory=dict)

    def add(self, kind: str, frame: pd.DataFrame) -> None:
        self.tables.setdefault(kind, []).append(frame)

    def frame(self, kind: str) -> pd.DataFrame:
        return pd.concat(self.tables.get(kind, []), ignore_index=True)


def days(rng: np.random.Generator, start: dt.date, end: dt.date, n: int) -> list[dt.date]:
    """n days drawn uniformly from start to end, both included."""
    span = (end - start).days
    return [start + dt.timedelta(days=int(d)) for d in rng.integers(0, span + 1, n)]


def pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    """n codes drawn by relative weight."""
    codes = list(weights)
    p = np.array([weights[c] for c in codes], dtype=float)
    return rng.choice(codes, n, p=p / p.sum())


def _births(rng: np.random.Generator, stages: np.ndarray, at: dt.date) -> list[dt.date]:
    out = []
    for stage in stages:
        low, high = AGE_BY_STAGE[stage]
        age = int(rng.integers(low, high + 1))
        out.append(dt.date(at.year - age, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365))))
    return out


def children_frame(people: People, rng, programme: str, counties, stages, enrolled, exited, paired, categories):
    """The children's register of one programme, and their birth dates."""
    n = len(counties)
    births = _births(rng, stages, dt.date(2023, 9, 1))
    ids = people.id_numbers(counties, births)
    frame = pd.DataFrame(
        {
            "id_no": ids,
            "name": people.names(n),
            # half the rows leave gender to the ID number, as many registers do
            "gender": [("男" if int(i[16]) % 2 else "女") if rng.random() < 0.5 else "" for i in ids],
            "county": [COUNTY_NAMES[c] if rng.random() < 0.8 else c for c in counties],
            "town": [COUNTY_NAMES[c][:-1] + "镇" for c in counties],
            "category": [label("category", c) for c in categories],
            "enrolled_on": [d.isoformat() for d in enrolled],
            "exited_on": [d.isoformat() if d else "" for d in exited],
            "paired": ["是" if p else "否" for p in paired],
            "guardian_name": people.names(n),
            "guardian_phone": people.phones_(n),
            "address": [COUNTY_NAMES[c] + f"幸福路{int(rng.integers(1, 300))}号" for c in counties],
            "school": [COUNTY_NAMES[c][:-1] + "实验学校" for c in counties],
            "bank_account": [f"6222{int(rng.integers(0, 10**15)):015d}" for _ in range(n)],
            "programme": programme,
        }
    )
    return frame, births


def volunteer_people(people: People, rng: np.random.Generator, n: int, counties: np.ndarray, phone_only: float):
    """Names, ID numbers (blank for those known by phone only), phones, and who is phone-only."""
    born_from, born_to = PEOPLE["adult_born"]
    adult_births = [
        dt.date(int(y), 1, 1) + dt.timedelta(days=int(d))
        for y, d in zip(rng.integers(born_from, born_to, n), rng.integers(0, 365, n), strict=True)
    ]
    ids = people.id_numbers(counties, adult_births)
    use_phone = rng.random(n) < phone_only
    return (
        people.names(n),
        np.where(use_phone, "", np.array(ids)),
        np.array(people.phones_(n)),
        use_phone,
    )


def service_rows(
    rng: np.random.Generator,
    prefix: str,
    code: str,
    volunteer: np.ndarray,
    v_names,
    v_ids,
    v_phones,
    v_types,
    v_counties,
    activities: np.ndarray,
    dates: list[dt.date],
    child_ids: list[str],
    counties: np.ndarray,
) -> pd.DataFrame:
    """One volunteer_hours row per record; volunteer[i] indexes the v_* arrays."""
    n = len(volunteer)
    hours = np.array([round(rng.uniform(*SERVICE["hours"][a]) * 2) / 2 for a in activities])
    # some check-ins come from the app as check-in and check-out times instead of hours
    timed = rng.random(n) < SERVICE["timed_share"]
    first_hour, last_hour = SERVICE["start_hours"]
    start_minutes = rng.integers(first_hour * 60, last_hour * 60, n)
    starts = [f"{m // 60:02d}:{m % 60:02d}" if t else "" for m, t in zip(start_minutes, timed, strict=True)]
    ends = [
        f"{(m + int(h * 60)) // 60:02d}:{(m + int(h * 60)) % 60:02d}" if t else ""
        for m, h, t in zip(start_minutes, hours, timed, strict=True)
    ]
    return pd.DataFrame(
        {
            "record_no": [f"{prefix}{i:06d}" for i in range(n)],
            "volunteer_name": v_names[volunteer],
            "volunteer_id_no": v_ids[volunteer],
            "volunteer_phone": v_phones[volunteer],
            "volunteer_type": [label("volunteer_type", t) for t in v_types[volunteer]],
            "county": counties,
            "served_on": [d.isoformat() for d in dates],
            "hours": [f"{h:g}" if not t else "" for h, t in zip(hours, timed, strict=True)],
            "start_time": starts,
            "end_time": ends,
            "activity": [label("activity", a) for a in activities],
            "child_id_no": child_ids,
            "programme": code,
        }
    )
