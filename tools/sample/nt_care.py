"""NT-CARE, the calibrated programme: at scale 1 its children, payments, donations and
volunteers give back the Nantong report's figures exactly (targets in calibration.toml, the
shape around them in nt_care.toml)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tools.sample.nt_donations import nt_donations
from tools.sample.people import People
from tools.sample.reference import AS_OF, CALIBRATION, CATEGORY_WEIGHTS, NT_CARE, label
from tools.sample.rows import Raw, children_frame, days, pick, service_rows, volunteer_people

DISBURSEMENT_COLUMNS = [
    "payment_no",
    "paid_on",
    "id_no",
    "name",
    "stage",
    "school_year",
    "amount",
    "purpose",
    "county",
    "programme",
]


def solve_stages(
    rng: np.random.Generator, payments: np.ndarray, half_fen: dict[str, int], target_fen: int
) -> np.ndarray:
    """Stages for each child so that Σ payments × half-yearly standard equals the target exactly.

    A random draw by the stage mix, then a greedy walk that moves one child's stage at a time
    towards the target, then an exact finish with a pair of single-payment children."""
    stages = list(half_fen)
    values = np.array([half_fen[s] for s in stages], dtype=np.int64)
    choice = pick(rng, NT_CARE["children"]["stages"], len(payments))
    index = np.array([stages.index(s) for s in choice])
    diff = target_fen - int((payments * values[index]).sum())
    stuck = 0
    while diff and stuck < 5_000:
        i = int(rng.integers(0, len(payments)))
        deltas = payments[i] * (values - values[index[i]])
        best = int(np.argmin(np.abs(diff - deltas)))
        if abs(diff - deltas[best]) < abs(diff):
            diff -= int(deltas[best])
            index[i] = best
            stuck = 0
        else:
            stuck += 1
    singles = np.flatnonzero(payments == 1)
    for _ in range(1_000):
        if diff == 0 or _finish_with_pair(diff, singles, values, index):
            return np.array([stages[i] for i in index])
        # nudge one single-payment child and try the exact finish again
        i = int(rng.choice(singles))
        s = int(rng.integers(0, len(values)))
        diff -= int(values[s] - values[index[i]])
        index[i] = s
    raise RuntimeError("sample calibration could not be met; change the seed")


def _finish_with_pair(diff: int, singles: np.ndarray, values: np.ndarray, index: np.ndarray) -> bool:
    """Move two single-payment children's stages so the remaining gap closes exactly."""
    options: dict[int, tuple[int, int]] = {}
    for i in singles:
        for s, v in enumerate(values):
            options.setdefault(int(v - values[index[i]]), (int(i), s))
    for j in singles:
        for t, v in enumerate(values):
            hit = options.get(diff - int(v - values[index[j]]))
            if hit and hit[0] != j:
                index[hit[0]], index[j] = hit[1], t
                return True
    return False


def nt_care(raw: Raw, people: People, rng: np.random.Generator, unit: int) -> None:
    """One copy of NT-CARE's children, payments, donations and volunteers, added to raw."""
    cal = CALIBRATION["nt_care"]
    code = cal["programme"]
    half_fen = {stage: yuan * 100 // 2 for stage, yuan in cal["yearly_standard"].items()}
    # -- children and their payments
    cohorts = NT_CARE["cohort"]
    n = sum(c["children"] for c in cohorts)
    counties = pick(rng, NT_CARE["counties"], n)
    categories = pick(rng, CATEGORY_WEIGHTS, n)
    enrolled, exited, rounds = [], [], []
    for cohort in cohorts:
        size = cohort["children"]
        enrolled += days(rng, *cohort["enrolled"], size)
        exited += [cohort.get("exited")] * size
        rounds += [cohort["rounds"]] * size
    payments = np.array([len(r) for r in rounds])
    assert payments.sum() == cal["disbursements"], "cohorts must give the report's child-times"
    stages = solve_stages(rng, payments, half_fen, cal["funds_disbursed_fen"])
    in_care = np.array([e is None for e in exited])
    assert in_care.sum() == cal["children_in_care"]
    paired = np.zeros(n, dtype=bool)
    paired[rng.choice(np.flatnonzero(in_care), cal["children_paired"], replace=False)] = True
    children, _ = children_frame(people, rng, code, counties, stages, enrolled, exited, paired, categories)
    raw.add("children", children)
    rows = []
    seq = 0
    for i in range(n):
        for r in rounds[i]:
            payment_round = NT_CARE["round"][r]
            seq += 1
            rows.append(
                (
                    f"NT{unit:04d}-P{seq:05d}",
                    days(rng, *payment_round["paid"], 1)[0].isoformat(),
                    children["id_no"][i],
                    children["name"][i],
                    label("stage", stages[i]),
                    payment_round["school_year"],
                    f"{half_fen[stages[i]] / 100:.2f}",
                    NT_CARE["children"]["purpose"],
                    "",
                    code,
                )
            )
    raw.add("disbursements", pd.DataFrame(rows, columns=DISBURSEMENT_COLUMNS))
    # -- donations: the online first batch, calibrated; payroll giving, bank and cash on top
    raw.add("donations", nt_donations(people, rng, unit, code, cal["online_funds_raised_fen"]))
    # -- volunteers: every one of them active; paired ones visit their child
    _volunteers(raw, people, rng, unit, code, children, counties, paired, cal["volunteers_active"])


def _volunteers(raw, people, rng, unit, code, children, child_counties, paired, n_volunteers):
    plan = NT_CARE["volunteers"]
    counted = [t for t, count in plan["types"].items() for _ in range(count)]
    types = np.array(counted + ["other"] * (n_volunteers - len(counted)))
    counties = pick(rng, NT_CARE["counties"], n_volunteers)
    paired_children = np.flatnonzero(paired)
    # volunteer i < number paired is the one-to-one partner of paired_children[i]
    counties[: len(paired_children)] = child_counties[paired_children]
    names, ids, phones, _ = volunteer_people(people, rng, n_volunteers, counties, phone_only=plan["phone_only"])
    volunteer = np.concatenate([np.arange(n_volunteers), rng.integers(0, n_volunteers, plan["extra_records"])])
    n = len(volunteer)
    activities = pick(rng, plan["activities"], n)
    enrolled = pd.to_datetime(children["enrolled_on"]).dt.date.to_numpy()
    child_ids, record_counties, dates = [], [], []
    for v, activity in zip(volunteer, activities, strict=True):
        if v < len(paired_children) and activity != "camp":
            c = paired_children[v]
        elif activity in ("home_visit", "tutoring"):
            c = int(rng.choice(paired_children))
        else:
            c = None
        start = max(plan["first"], enrolled[c]) if c is not None else plan["first"]
        window = plan["camp"] if activity == "camp" else (start, AS_OF)
        dates.append(days(rng, *window, 1)[0])
        child_ids.append(children["id_no"][c] if c is not None else "")
        record_counties.append(child_counties[c] if c is not None else counties[v])
    dates[-1] = AS_OF  # the data runs to the report's date
    raw.add(
        "volunteer_hours",
        service_rows(
            rng,
            f"NT{unit:04d}-V",
            code,
            volunteer,
            names,
            ids,
            phones,
            types,
            counties,
            activities,
            dates,
            child_ids,
            np.array(record_counties),
        ),
    )
